using System.Globalization;

namespace Mnist.Core.Tuning;

/// <summary>How a <see cref="RandomForest"/> grows its trees; the defaults are Optuna's fANOVA evaluator's (scikit-learn's regressor with 64 trees, depth 64).</summary>
public sealed record RandomForestOptions
{
    public int Trees { get; init; } = 64;
    public int MaxDepth { get; init; } = 64;

    /// <summary>A node with fewer samples (bootstrap duplicates counted) is a leaf.</summary>
    public int MinSamplesSplit { get; init; } = 2;

    /// <summary>Each side of a split keeps at least this many samples.</summary>
    public int MinSamplesLeaf { get; init; } = 1;

    /// <summary>Each tree fits a sample of the rows drawn with replacement (as many as there are rows); false: every tree fits every row.</summary>
    public bool Bootstrap { get; init; } = true;

    public void Validate()
    {
        if (Trees < 1) throw new ArgumentException($"random forest: trees = {Trees}: must be at least 1");
        if (MaxDepth < 0) throw new ArgumentException($"random forest: max_depth = {MaxDepth}: must be 0 or more");
        if (MinSamplesSplit < 2) throw new ArgumentException($"random forest: min_samples_split = {MinSamplesSplit}: must be at least 2");
        if (MinSamplesLeaf < 1) throw new ArgumentException($"random forest: min_samples_leaf = {MinSamplesLeaf}: must be at least 1");
    }
}

/// <summary>
/// One node of a <see cref="RegressionTree"/>: a split (a point goes <see cref="Left"/> when its
/// <see cref="Feature"/> is at most <see cref="Threshold"/>) or, with <see cref="Feature"/> -1, a
/// leaf predicting <see cref="Value"/>, the mean of its samples.
/// </summary>
public readonly record struct TreeNode(int Feature, double Threshold, int Left, int Right, double Value, int Samples)
{
    public bool IsLeaf => Feature < 0;
}

/// <summary>
/// A CART regression tree (squared error), grown as scikit-learn's <c>DecisionTreeRegressor</c>
/// grows one with every feature a candidate: at each node every feature is tried, in an order
/// the random source shuffles (it breaks ties between equally good splits), at every threshold
/// halfway between two consecutive distinct values; the split that lowers the squared error most
/// wins. A node is a leaf at the depth limit, below the minimum samples to split, or when its
/// targets are all equal or no feature varies in it.
/// </summary>
public sealed class RegressionTree
{
    /// <summary>Values closer than this are one value to a split (scikit-learn's FEATURE_THRESHOLD).</summary>
    private const double FeatureThreshold = 1e-7;

    private readonly TreeNode[] _nodes;

    private RegressionTree(TreeNode[] nodes, int features)
    {
        _nodes = nodes;
        Features = features;
    }

    /// <summary>The nodes, the root first; a node's children come after it.</summary>
    public IReadOnlyList<TreeNode> Nodes => _nodes;

    public int Features { get; }

    public int Leaves => _nodes.Count(n => n.IsLeaf);

    /// <summary>Fits the rows <paramref name="sample"/> names of <paramref name="x"/> (an index may repeat: a bootstrap sample).</summary>
    public static RegressionTree Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, IReadOnlyList<int> sample, RandomForestOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        if (x.Count != y.Count) throw new ArgumentException($"regression tree: {x.Count} rows but {y.Count} targets");
        if (sample.Count == 0) throw new ArgumentException("regression tree: no rows to fit");
        var features = x[sample[0]].Length;
        if (sample.Any(i => x[i].Length != features)) throw new ArgumentException("regression tree: rows of different lengths");
        var nodes = new List<TreeNode>();
        Grow(nodes, x, y, [.. sample], 0, features, options, random);
        return new RegressionTree([.. nodes], features);
    }

    /// <summary>Fits every row once.</summary>
    public static RegressionTree Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, RandomForestOptions options, Random random) =>
        Fit(x, y, Enumerable.Range(0, x.Count).ToArray(), options, random);

    public double Predict(IReadOnlyList<double> point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var node = _nodes[0];
        while (!node.IsLeaf) node = _nodes[point[node.Feature] <= node.Threshold ? node.Left : node.Right];
        return node.Value;
    }

    /// <summary>Appends the node for <paramref name="rows"/> and its subtree; returns its index.</summary>
    private static int Grow(List<TreeNode> nodes, IReadOnlyList<double[]> x, IReadOnlyList<double> y, int[] rows, int depth, int features, RandomForestOptions options, Random random)
    {
        var index = nodes.Count;
        double sum = 0, sumSquares = 0;
        foreach (var r in rows)
        {
            sum += y[r];
            sumSquares += y[r] * y[r];
        }
        var mean = sum / rows.Length;
        var leaf = new TreeNode(-1, double.NaN, -1, -1, mean, rows.Length);
        nodes.Add(leaf);
        var impurity = sumSquares / rows.Length - mean * mean;
        if (depth >= options.MaxDepth || rows.Length < options.MinSamplesSplit || rows.Length < 2 * options.MinSamplesLeaf || impurity <= 1e-12 * Math.Max(1, mean * mean))
        {
            return index;
        }

        var order = Enumerable.Range(0, features).ToArray();
        random.Shuffle(order);
        var best = (Feature: -1, Threshold: 0.0, Proxy: double.NegativeInfinity);
        var sorted = new int[rows.Length];
        foreach (var f in order)
        {
            Array.Copy(rows, sorted, rows.Length);
            Array.Sort(sorted, (a, b) => x[a][f].CompareTo(x[b][f]));
            if (x[sorted[^1]][f] <= x[sorted[0]][f] + FeatureThreshold) continue; // constant here
            double left = 0;
            for (var i = 0; i < sorted.Length - 1; i++)
            {
                left += y[sorted[i]];
                var nLeft = i + 1;
                var nRight = sorted.Length - nLeft;
                if (nLeft < options.MinSamplesLeaf) continue;
                if (nRight < options.MinSamplesLeaf) break;
                var here = x[sorted[i]][f];
                var next = x[sorted[i + 1]][f];
                if (next <= here + FeatureThreshold) continue;
                // Lower squared error of the children is a higher sum of (sum of targets)^2 / count.
                var right = sum - left;
                var proxy = left * left / nLeft + right * right / nRight;
                if (proxy > best.Proxy)
                {
                    var threshold = here / 2 + next / 2;
                    if (threshold >= next || !double.IsFinite(threshold)) threshold = here;
                    best = (f, threshold, proxy);
                }
            }
        }
        if (best.Feature < 0) return index;

        var goLeft = rows.Where(r => x[r][best.Feature] <= best.Threshold).ToArray();
        var goRight = rows.Where(r => x[r][best.Feature] > best.Threshold).ToArray();
        var leftIndex = Grow(nodes, x, y, goLeft, depth + 1, features, options, random);
        var rightIndex = Grow(nodes, x, y, goRight, depth + 1, features, options, random);
        nodes[index] = leaf with { Feature = best.Feature, Threshold = best.Threshold, Left = leftIndex, Right = rightIndex };
        return index;
    }
}

/// <summary>
/// A random forest of <see cref="RegressionTree"/>s (Breiman's, as scikit-learn's
/// <c>RandomForestRegressor</c> with every feature a candidate at each split): each tree fits a
/// bootstrap sample of the rows; the forest predicts the trees' mean. One seeded random source
/// draws every sample and every feature order, so a seed gives the same forest every time.
/// </summary>
public sealed class RandomForest
{
    private RandomForest(IReadOnlyList<RegressionTree> trees) => Trees = trees;

    public IReadOnlyList<RegressionTree> Trees { get; }

    public static RandomForest Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, RandomForestOptions? options = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        options ??= new RandomForestOptions();
        options.Validate();
        if (x.Count == 0) throw new ArgumentException("random forest: no rows to fit");
        if (x.Count != y.Count) throw new ArgumentException($"random forest: {x.Count} rows but {y.Count} targets");
        var random = new Random(seed);
        var trees = new List<RegressionTree>(options.Trees);
        for (var t = 0; t < options.Trees; t++)
        {
            var sample = options.Bootstrap
                ? Enumerable.Range(0, x.Count).Select(_ => random.Next(x.Count)).ToArray()
                : Enumerable.Range(0, x.Count).ToArray();
            trees.Add(RegressionTree.Fit(x, y, sample, options, random));
        }
        return new RandomForest(trees);
    }

    public double Predict(IReadOnlyList<double> point) => Trees.Average(t => t.Predict(point));
}

/// <summary>
/// The functional ANOVA of a regression tree over the unit cube with the uniform measure (Hutter,
/// Hoos and Leyton-Brown 2014, as Optuna's <c>_fanova</c> computes it): a tree is a step function
/// constant on boxes (its leaves), so its mean, its variance and the variance of each dimension's
/// main effect (the tree's mean over every other dimension, as a function of that one) are exact
/// sums over the boxes.
/// </summary>
public static class Fanova
{
    /// <summary>A leaf's box: its value and its extent [Low, High] in each dimension.</summary>
    private readonly record struct Box(double Value, double[] Low, double[] High)
    {
        public double Volume()
        {
            var v = 1.0;
            for (var i = 0; i < Low.Length; i++) v *= High[i] - Low[i];
            return v;
        }
    }

    private static List<Box> Boxes(RegressionTree tree)
    {
        var boxes = new List<Box>();
        var stack = new Stack<(int Node, double[] Low, double[] High)>();
        stack.Push((0, new double[tree.Features], Enumerable.Repeat(1.0, tree.Features).ToArray()));
        while (stack.Count > 0)
        {
            var (index, low, high) = stack.Pop();
            var node = tree.Nodes[index];
            if (node.IsLeaf)
            {
                boxes.Add(new Box(node.Value, low, high));
                continue;
            }
            var t = Math.Clamp(node.Threshold, low[node.Feature], high[node.Feature]);
            var leftHigh = (double[])high.Clone();
            leftHigh[node.Feature] = t;
            var rightLow = (double[])low.Clone();
            rightLow[node.Feature] = t;
            stack.Push((node.Right, rightLow, high));
            stack.Push((node.Left, low, leftHigh));
        }
        return boxes;
    }

    /// <summary>The variance of the tree's prediction over the unit cube, x uniform.</summary>
    public static double TotalVariance(RegressionTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return TotalVariance(Boxes(tree));
    }

    private static double TotalVariance(List<Box> boxes)
    {
        var volumes = boxes.Select(b => b.Volume()).ToArray();
        var mean = boxes.Select((b, i) => b.Value * volumes[i]).Sum();
        return Math.Max(0, boxes.Select((b, i) => volumes[i] * (b.Value - mean) * (b.Value - mean)).Sum());
    }

    /// <summary>
    /// The variance of dimension <paramref name="feature"/>'s main effect: the tree averaged over
    /// every other dimension is a step function of that one, constant between the thresholds the
    /// tree splits it at; its variance over [0, 1].
    /// </summary>
    public static double MarginalVariance(RegressionTree tree, int feature)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (feature < 0 || feature >= tree.Features) throw new ArgumentOutOfRangeException(nameof(feature), feature, $"the tree has {tree.Features} features");
        return MarginalVariance(tree, Boxes(tree), feature);
    }

    private static double MarginalVariance(RegressionTree tree, List<Box> boxes, int feature)
    {
        var edges = new SortedSet<double> { 0.0, 1.0 };
        foreach (var n in tree.Nodes.Where(n => !n.IsLeaf && n.Feature == feature)) edges.Add(Math.Clamp(n.Threshold, 0, 1));
        var cuts = edges.ToArray();
        // A box spans the intervals between two of the cuts (its edges in this dimension are cuts);
        // over them it adds its value times its volume in the other dimensions. Summed as steps.
        var steps = new double[cuts.Length];
        foreach (var b in boxes)
        {
            var width = b.High[feature] - b.Low[feature];
            if (width <= 0) continue;
            var weight = b.Value * b.Volume() / width;
            steps[Cut(cuts, b.Low[feature])] += weight;
            steps[Cut(cuts, b.High[feature])] -= weight;
        }
        var widths = new double[cuts.Length - 1];
        var effects = new double[cuts.Length - 1];
        double running = 0;
        for (var k = 0; k < widths.Length; k++)
        {
            running += steps[k];
            widths[k] = cuts[k + 1] - cuts[k];
            effects[k] = running;
        }
        var mean = widths.Select((w, k) => w * effects[k]).Sum();
        return Math.Max(0, widths.Select((w, k) => w * (effects[k] - mean) * (effects[k] - mean)).Sum());
    }

    /// <summary>The index of <paramref name="edge"/> among the sorted cuts (it is one of them).</summary>
    private static int Cut(double[] cuts, double edge)
    {
        var i = Array.BinarySearch(cuts, edge);
        return i >= 0 ? i : Math.Clamp(~i, 0, cuts.Length - 1);
    }

    /// <summary>
    /// Each dimension's main-effect variance as a share of the tree's variance, averaged over the
    /// forest's trees whose variance is not zero (Optuna's <c>get_importance</c>, before it
    /// normalises). Null when every tree is constant.
    /// </summary>
    public static double[]? VarianceShares(RandomForest forest)
    {
        ArgumentNullException.ThrowIfNull(forest);
        var features = forest.Trees[0].Features;
        var sums = new double[features];
        var counted = 0;
        foreach (var tree in forest.Trees)
        {
            var boxes = Boxes(tree);
            var total = TotalVariance(boxes);
            if (total <= 0) continue;
            counted++;
            for (var f = 0; f < features; f++) sums[f] += MarginalVariance(tree, boxes, f) / total;
        }
        return counted == 0 ? null : sums.Select(s => s / counted).ToArray();
    }
}

/// <summary>One hyperparameter's importance: its share of the variance the single hyperparameters explain (the shares sum to 1).</summary>
public sealed record ParameterImportance(string Name, double Importance);

/// <summary>
/// A study's hyperparameter importances (<see cref="HyperparameterImportance"/>), as <c>mnist study
/// importance</c> prints it and its <c>--json</c> writes it: <see cref="TrialsUsed"/> of
/// <see cref="TrialsInStudy"/> trials fitted, the score each one counted with
/// (<see cref="Basis"/>), and the importances, largest first. <see cref="MainEffectsShare"/> is how
/// much of the forest's variance the single hyperparameters explain together (the mean over the
/// trees of their shares before normalising; the rest is interactions): where it is 0 (a pure
/// interaction) every importance is 0.
/// </summary>
public sealed record ImportanceReport(
    string Study,
    TuningObjective Objective,
    string Basis,
    int TrialsUsed,
    int TrialsInStudy,
    double MainEffectsShare,
    IReadOnlyList<ParameterImportance> Importances)
{
    public string ToText()
    {
        var inv = CultureInfo.InvariantCulture;
        var metric = Tuning.Objective.Of(Objective).Name;
        var lines = new List<string>
        {
            string.Create(inv, $"Study '{Study}': hyperparameter importance (fANOVA, random forest of {HyperparameterImportance.Forest.Trees} trees) of {metric}, from {TrialsUsed} of {TrialsInStudy} trials ({Basis})."),
        };
        var width = Importances.Count == 0 ? 0 : Importances.Max(i => i.Name.Length);
        foreach (var i in Importances)
        {
            var bar = new string('#', (int)Math.Round(i.Importance * 40));
            lines.Add(string.Create(inv, $"  {i.Name.PadRight(width)}  {i.Importance * 100,6:0.0}%  {bar}").TrimEnd());
        }
        if (TrialsUsed <= Importances.Count)
        {
            lines.Add(string.Create(inv, $"Only {TrialsUsed} trials for {Importances.Count} hyperparameters: the forest cannot tell most of them apart, so these shares are mostly noise."));
        }
        lines.Add(string.Create(inv, $"The single hyperparameters explain {MainEffectsShare * 100:0}% of the surrogate's variance; the rest is their interactions. Shares are of that part."));
        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }
}

/// <summary>A study has too few usable trials to assess importance.</summary>
public sealed class NotEnoughTrialsException(string message) : InvalidOperationException(message);

/// <summary>
/// Hyperparameter importance by functional ANOVA, as Optuna's <c>FanovaImportanceEvaluator</c>: a
/// seeded random forest (<see cref="Forest"/>) regresses the usable trials' scores on their points in
/// the unit cube (<see cref="SearchSpace.Canonical"/>: bucket centres, an inactive conditional
/// hyperparameter at its default's place); each tree's exact main-effect variance of every dimension
/// (<see cref="Fanova"/>), as a share of that tree's variance, is averaged over the trees and the
/// shares are normalised to sum to 1. Like the oracles it never knows the types of the hyperparameters.
/// The usable trials are the completed ones with a score (Optuna's choice); with a rung, every
/// completed or pruned trial's value at that rung instead, all taken after the same number of epochs.
/// </summary>
public static class HyperparameterImportance
{
    /// <summary>Optuna's defaults: 64 trees of depth 64, min_samples_split 2, min_samples_leaf 1, bootstrap.</summary>
    public static RandomForestOptions Forest { get; } = new();

    /// <summary>The trials the importance is fitted on, each with the score it counts with (see the class).</summary>
    public static IReadOnlyList<(TrialRecord Trial, double Score)> Usable(IReadOnlyList<TrialRecord> trials, int? rung = null)
    {
        ArgumentNullException.ThrowIfNull(trials);
        if (rung is not { } k)
        {
            return trials.Where(t => t.Status == TrialStatus.Completed && t.Score is { } s && double.IsFinite(s)).Select(t => (t, t.Score!.Value)).ToList();
        }
        var atRung = trials
            .Where(t => t.Status is TrialStatus.Completed or TrialStatus.Pruned)
            .Select(t => (Trial: t, Value: t.Rungs.FirstOrDefault(r => r.Rung == k)))
            .Where(p => p.Value is not null && double.IsFinite(p.Value.Value))
            .ToList();
        var epochs = atRung.Select(p => p.Value!.Epochs).Distinct().Order().ToList();
        if (epochs.Count > 1 && epochs[^1] - epochs[0] > 1e-9)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"rung {k}: its values were taken after different numbers of epochs ({string.Join(", ", epochs.Select(e => e.ToString("0.###", CultureInfo.InvariantCulture)))}; Hyperband's rounds differ by bracket), so they are not one budget to compare"));
        }
        return atRung.Select(p => (p.Trial, p.Value!.Value)).ToList();
    }

    /// <summary>What the usable trials are, for people: "completed trials only" or "values at rung K (E epochs), completed and pruned trials".</summary>
    public static string Basis(IReadOnlyList<TrialRecord> trials, int? rung = null)
    {
        if (rung is not { } k) return "completed trials only: pruned ones stopped at fewer epochs";
        var at = trials.SelectMany(t => t.Rungs).FirstOrDefault(r => r.Rung == k);
        return at is null
            ? $"values at rung {k}, completed and pruned trials"
            : string.Create(CultureInfo.InvariantCulture, $"values at rung {k} ({at.Epochs:0.###} epochs), completed and pruned trials");
    }

    /// <summary>
    /// The importance of each hyperparameter of <paramref name="study"/>'s space from its
    /// <paramref name="trials"/>, largest first: a report that names the study and how many trials
    /// it used. Fewer than 2 usable trials, or scores no hyperparameter separates (all equal), is a
    /// <see cref="NotEnoughTrialsException"/> naming the study.
    /// </summary>
    public static ImportanceReport Compute(StudyDefinition study, IReadOnlyList<TrialRecord> trials, int seed = 0, int? rung = null)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(trials);
        var usable = Usable(trials, rung);
        var basis = Basis(trials, rung);
        if (usable.Count < 2)
        {
            throw new NotEnoughTrialsException(
                $"study '{study.Name}': importance needs at least 2 usable trials, and it has {usable.Count} ({basis}) of {trials.Count} trials " +
                $"({trials.Count(t => t.Status == TrialStatus.Completed)} completed, {trials.Count(t => t.Status == TrialStatus.Pruned)} pruned, {trials.Count(t => t.Status == TrialStatus.Failed)} failed)." +
                (rung is null && trials.Any(t => t.Status == TrialStatus.Pruned) ? " With a pruner, --rung 0 compares every trial at its first rung." : ""));
        }
        var space = new SearchSpace(study.Space);
        var (importances, mainEffects) = Fit(space, usable, seed)
            ?? throw new NotEnoughTrialsException($"study '{study.Name}': no hyperparameter explains the {usable.Count} usable trials' scores: they all score the same, or differ only between trials of one configuration.");
        return new ImportanceReport(study.Name, study.Objective, basis, usable.Count, trials.Count, mainEffects, importances);
    }

    /// <summary>
    /// The importances from (trial, score) pairs, largest first, and the share of the surrogate's
    /// variance the single hyperparameters explain; null when every tree is constant.
    /// </summary>
    public static (IReadOnlyList<ParameterImportance> Importances, double MainEffectsShare)? Fit(SearchSpace space, IReadOnlyList<(TrialRecord Trial, double Score)> usable, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(usable);
        if (usable.Count == 0) return null;
        var x = usable.Select(u => space.Canonical(u.Trial.Unit)).ToList();
        var y = usable.Select(u => u.Score).ToList();
        var forest = RandomForest.Fit(x, y, Forest, seed);
        if (Fanova.VarianceShares(forest) is not { } shares) return null;
        var total = shares.Sum();
        var normalised = shares.Select(s => total > 0 ? s / total : 0).ToArray();
        var list = space.Parameters.Select((p, i) => (Index: i, Importance: new ParameterImportance(p.Name, normalised[i]), Fixed: p is FixedParameter))
            .Where(p => !p.Fixed) // held at one value, it explains nothing (Optuna leaves single-valued distributions out)
            .OrderByDescending(p => p.Importance.Importance).ThenBy(p => p.Index).Select(p => p.Importance).ToList();
        return (list, total);
    }
}
