using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
using Mnist.Core.Infrastructure;

namespace Mnist.Core.Tuning;

/// <summary>The search's oracle, by its name (<see cref="Choice"/>): <c>bayes</c> (also read as <c>bayesian</c>), <c>random</c> or <c>hyperband</c>.</summary>
public enum OracleKind
{
    /// <summary>Bayesian optimisation (<see cref="BayesianOracle"/>).</summary>
    [ChoiceAlias("bayesian")]
    Bayes,

    /// <summary>Uniform random search (<see cref="RandomOracle"/>).</summary>
    Random,

    /// <summary>KerasTuner's Hyperband (<see cref="HyperbandScheduler"/>), sampling its configurations at random.</summary>
    Hyperband,
}

/// <summary>
/// A point of the unit cube tried before, as the oracle sees it: its loss (lower is better; null
/// while its trial runs, NaN when it failed) at <see cref="Fidelity"/> (1 for a trial that ran its
/// whole budget, less for one the pruner stopped), and its values at the pruner's rungs.
/// </summary>
public sealed record Observation(double[] Unit, double? Loss)
{
    /// <summary>How much of the full per-trial budget <see cref="Loss"/> was reached with, in [0, 1] (log scale of the resource).</summary>
    public double Fidelity { get; init; } = 1;

    /// <summary>The trial's values at the pruner's rungs, as (fidelity, loss), lowest fidelity first.</summary>
    public IReadOnlyList<(double Fidelity, double Loss)> Partial { get; init; } = [];

    /// <summary>
    /// A stored trial as an observation. <paramref name="fidelityOf"/> maps epochs trained to a
    /// fidelity (<see cref="FidelityScale"/>).
    /// </summary>
    public static Observation Of(TrialRecord trial, StudyDefinition definition, Func<double, double> fidelityOf)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(fidelityOf);
        var partial = trial.Rungs.Where(r => double.IsFinite(r.Value)).Select(r => (fidelityOf(r.Epochs), definition.Goal.LossOf(r.Value))).ToList();
        return trial.Status switch
        {
            TrialStatus.Completed when trial.Score is { } s => new Observation(trial.Unit, definition.Goal.LossOf(s)) { Partial = partial },
            TrialStatus.Pruned when trial.Score is { } s => new Observation(trial.Unit, definition.Goal.LossOf(s))
            {
                Fidelity = trial.Rungs.FirstOrDefault(r => r.Rung == trial.Rung) is { } at ? fidelityOf(at.Epochs) : fidelityOf(trial.Epochs ?? 0),
                Partial = partial,
            },
            TrialStatus.Failed => new Observation(trial.Unit, double.NaN),
            _ => new Observation(trial.Unit, null) { Partial = partial },
        };
    }

    /// <summary>
    /// Fidelity on a log scale of the resource: 0 at <paramref name="minEpochs"/> (the pruner's
    /// first rung), 1 at <paramref name="maxEpochs"/> (the per-trial cap).
    /// </summary>
    public static Func<double, double> FidelityScale(double minEpochs, double maxEpochs)
    {
        if (!(maxEpochs > minEpochs) || !(minEpochs > 0)) return _ => 1;
        var span = Math.Log(maxEpochs / minEpochs);
        return epochs => epochs <= 0 ? 0 : Math.Clamp(Math.Log(epochs / minEpochs) / span, 0, 1);
    }
}

/// <summary>Suggests the next point of the unit cube to try. It never sees types or names.</summary>
public interface IOracle
{
    string Name { get; }

    double[] Suggest(IReadOnlyList<Observation> history, Random rng);
}

/// <summary>The Bayesian oracle's acquisition function, by its name (<see cref="Choice"/>): <c>ucb</c> or <c>ei</c>.</summary>
public enum AcquisitionKind
{
    /// <summary>Upper confidence bound (here on the loss: μ - βσ, minimised), as KerasTuner.</summary>
    Ucb,

    /// <summary>Expected improvement over the best loss seen.</summary>
    Ei,
}

/// <summary>
/// Optuna's <c>enqueue_trial</c>: the given points first, in order, each once (a point already in
/// the history, as the same configuration, is not proposed again), then whatever
/// <paramref name="inner"/> suggests. A known good configuration (the seed's model) tried first
/// gives a pruner a strong reference and the search a floor.
/// </summary>
public sealed class EnqueuedOracle(IOracle inner, SearchSpace space, IReadOnlyList<double[]> points) : IOracle
{
    public string Name => points.Count == 0 ? inner.Name : $"{inner.Name} after {points.Count} enqueued";

    public double[] Suggest(IReadOnlyList<Observation> history, Random rng)
    {
        ArgumentNullException.ThrowIfNull(history);
        var tried = history.Select(h => space.Key(h.Unit)).ToHashSet();
        return points.FirstOrDefault(p => !tried.Contains(space.Key(p))) is { } next ? space.Canonical(next) : inner.Suggest(history, rng);
    }
}

/// <summary>
/// Uniform random search, for comparison; never suggests a configuration tried before (or a near
/// duplicate of one, <see cref="SearchSpace.NearDuplicate"/>), nor one that misses the space's constraint.
/// </summary>
public sealed class RandomOracle(SearchSpace space) : IOracle
{
    public string Name => Choice.Name(OracleKind.Random);

    /// <summary>Draws for a configuration that meets the space's constraint before the search gives up.</summary>
    public const int FeasibleDraws = 100_000;

    public double[] Suggest(IReadOnlyList<Observation> history, Random rng)
    {
        double[]? point = null;
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            point = Feasible(rng);
            if (!history.Any(h => space.NearDuplicate(h.Unit, point))) break;
        }
        return point!;
    }

    /// <summary>A uniform random configuration that meets the space's constraint (rejection sampling); none in <see cref="FeasibleDraws"/> draws is an error that names the constraint.</summary>
    private double[] Feasible(Random rng)
    {
        for (var draw = 0; draw < FeasibleDraws; draw++)
        {
            var point = space.Canonical(Enumerable.Range(0, space.Dimensions).Select(_ => rng.NextDouble()).ToArray());
            if (space.IsFeasible(point)) return point;
        }
        throw new InvalidOperationException($"no configuration of the search space meets the constraint ({space.Constraint?.Description}) in {FeasibleDraws:N0} random draws: loosen it");
    }
}

public sealed record BayesianOptions
{
    /// <summary>Random trials before the surrogate takes over (KerasTuner's 3 x dimensions would make a 30-trial search all random).</summary>
    public int InitialPoints { get; init; } = 5;
    public AcquisitionKind Acquisition { get; init; } = AcquisitionKind.Ucb;

    /// <summary>KerasTuner's default β for UCB.</summary>
    public double Beta { get; init; } = 2.6;

    /// <summary>Exploration margin ξ of expected improvement, in loss units after normalisation.</summary>
    public double Xi { get; init; } = 0.01;
    public int RandomCandidates { get; init; } = 2000;
    public int LocalRefinements { get; init; } = 5;
    public int KernelRestarts { get; init; } = 4;

    /// <summary>
    /// How the surrogate learns from trials the pruner stopped. A pruned trial's last value as if it
    /// were final, by measurement: on a multi-fidelity Hartmann 6-D searched with ASHA, 30 trials,
    /// 10 seeds, its median regret was 1.80 against 2.86 with the resource as an input
    /// (<c>mnist-bench surrogate</c>; docs/search.md).
    /// </summary>
    public PrunedTrialModel PrunedTrials { get; init; } = PrunedTrialModel.LastValue;

    /// <summary>Closeness below which a proposal counts as a trial already made (<see cref="SearchSpace.NearDuplicate"/>).</summary>
    public double DuplicateThreshold { get; init; } = SearchSpace.DefaultDuplicateThreshold;
}

/// <summary>How the Gaussian process learns from pruned trials (and from every trial's values at the rungs), by its name (<see cref="Choice"/>): <c>resource_input</c> or <c>last_value</c>.</summary>
public enum PrunedTrialModel
{
    /// <summary>
    /// The resource is one more input of the surrogate: every value at every rung, and every
    /// final score, is a point (configuration, fidelity); the acquisition asks about full fidelity.
    /// </summary>
    ResourceInput,

    /// <summary>A pruned trial counts with its last value as if it were final; rung values are otherwise ignored.</summary>
    LastValue,
}

/// <summary>
/// Bayesian optimisation: a Gaussian-process surrogate of the loss over the unit cube and an
/// acquisition function (UCB with β = 2.6, or expected improvement), maximised from many random
/// candidates and refined locally by bounded BFGS. Trials still running count with the worst
/// loss seen (a pessimistic guess, as KerasTuner does) so that concurrent workers spread out.
/// With a pruner, a pruned trial counts with its value at the rung where it stopped, as if final
/// (<see cref="PrunedTrialModel"/>: chosen over the resource as a surrogate input by measurement). Inactive hyperparameters are
/// put at their defaults before the surrogate sees a point, and no proposal is a near duplicate
/// of a configuration tried already (<see cref="SearchSpace.NearDuplicate"/>).
/// </summary>
public sealed class BayesianOracle(SearchSpace space, BayesianOptions? options = null) : IOracle
{
    private readonly BayesianOptions _options = options ?? new BayesianOptions();

    public string Name => Choice.Name(OracleKind.Bayes);

    public double[] Suggest(IReadOnlyList<Observation> history, Random rng)
    {
        ArgumentNullException.ThrowIfNull(history);
        var finished = history.Where(h => h.Loss is { } l && double.IsFinite(l)).ToList();
        if (finished.Count < Math.Max(_options.InitialPoints, 2)) return new RandomOracle(space).Suggest(history, rng);

        var multiFidelity = _options.PrunedTrials == PrunedTrialModel.ResourceInput && history.Any(h => h.Fidelity < 1 || h.Partial.Count > 0);
        var (points, losses) = multiFidelity ? WithFidelity(history) : FinalValues(history, finished);
        var gp = GaussianProcess.Fit(points, losses, rng, _options.KernelRestarts);
        var finals = finished.Where(h => h.Fidelity >= 1).ToList();
        var best = (finals.Count > 0 ? finals : finished).Min(h => h.Loss!.Value);
        double Score(double[] u) // lower is better; inactive dimensions count for nothing, full fidelity asked about
        {
            var c = space.Canonical(u);
            return Acquisition(gp, multiFidelity ? [.. c, 1.0] : c, best);
        }

        var d = space.Dimensions;
        var candidates = Enumerable.Range(0, _options.RandomCandidates)
            .Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray())
            .Concat(finished.OrderBy(h => h.Loss).Take(3).Select(h => Jitter(h.Unit, rng)))
            .Where(space.IsFeasible) // under a constraint, the acquisition is maximised over what may be tried
            .Select(u => (Point: u, Value: Score(u)))
            .OrderBy(c => c.Value)
            .ToList();
        var refined = candidates.Take(_options.LocalRefinements).Select(c => Refine(c.Point, Score)).Where(r => space.IsFeasible(r.Point)).Concat(candidates)
            .OrderBy(c => c.Value).ToList();

        foreach (var c in refined)
        {
            var point = space.Canonical(c.Point);
            if (space.IsFeasible(point) && !history.Any(h => space.NearDuplicate(h.Unit, point, _options.DuplicateThreshold))) return point;
        }
        return new RandomOracle(space).Suggest(history, rng);
    }

    /// <summary>One point per final value (a pruned trial's last value counts as final); running and failed trials at the worst loss seen.</summary>
    private (List<double[]> Points, List<double> Losses) FinalValues(IReadOnlyList<Observation> history, List<Observation> finished)
    {
        var worst = finished.Max(h => h.Loss!.Value);
        return (history.Select(h => space.Canonical(h.Unit)).ToList(),
                history.Select(h => h.Loss is { } l && double.IsFinite(l) ? l : worst).ToList());
    }

    /// <summary>
    /// Points (configuration, fidelity): every rung value and every final score; a running or
    /// failed trial stands at full fidelity with the worst final loss (the constant liar).
    /// </summary>
    private (List<double[]> Points, List<double> Losses) WithFidelity(IReadOnlyList<Observation> history)
    {
        var finals = history.Where(h => h.Loss is { } l && double.IsFinite(l) && h.Fidelity >= 1).Select(h => h.Loss!.Value).ToList();
        var all = history.SelectMany(h => h.Partial.Select(p => p.Loss)).Concat(history.Where(h => h.Loss is { } l && double.IsFinite(l)).Select(h => h.Loss!.Value)).ToList();
        var worst = finals.Count > 0 ? finals.Max() : all.Max();
        var points = new List<double[]>();
        var losses = new List<double>();
        foreach (var h in history)
        {
            var c = space.Canonical(h.Unit);
            foreach (var (f, l) in h.Partial)
            {
                points.Add([.. c, f]);
                losses.Add(l);
            }
            if (h.Loss is { } loss && double.IsFinite(loss))
            {
                if (h.Fidelity < 1 && h.Partial.Any(p => Math.Abs(p.Fidelity - h.Fidelity) < 1e-9)) continue; // a pruned trial's last value is one of its rungs
                points.Add([.. c, h.Fidelity]);
                losses.Add(loss);
            }
            else
            {
                points.Add([.. c, 1.0]);
                losses.Add(worst);
            }
        }
        return (points, losses);
    }

    private double Acquisition(GaussianProcess gp, double[] u, double best)
    {
        var (mean, std) = gp.Predict(u);
        if (_options.Acquisition == AcquisitionKind.Ucb) return mean - _options.Beta * std;
        var improvement = best - mean - _options.Xi;
        if (std < 1e-12) return -Math.Max(improvement, 0);
        var z = improvement / std;
        return -(improvement * Normal.CDF(0, 1, z) + std * Normal.PDF(0, 1, z));
    }

    private static double[] Jitter(double[] u, Random rng) => u.Select(v => Math.Clamp(v + (rng.NextDouble() - 0.5) * 0.1, 0, 1)).ToArray();

    /// <summary>Bounded BFGS on the acquisition with central-difference gradients.</summary>
    private static (double[] Point, double Value) Refine(double[] start, Func<double[], double> f)
    {
        const double h = 1e-4;
        var d = start.Length;
        var objective = ObjectiveFunction.Gradient(v =>
        {
            var x = v.ToArray();
            var grad = new double[d];
            for (var i = 0; i < d; i++)
            {
                var keep = x[i];
                x[i] = Math.Min(1, keep + h); var up = f(x);
                x[i] = Math.Max(0, keep - h); var down = f(x);
                grad[i] = (up - down) / (Math.Min(1, keep + h) - Math.Max(0, keep - h));
                x[i] = keep;
            }
            return (f(x), Vector<double>.Build.DenseOfArray(grad));
        });
        try
        {
            var result = new BfgsBMinimizer(1e-6, 1e-6, 1e-9, 100).FindMinimum(
                objective, Vector<double>.Build.Dense(d, 0), Vector<double>.Build.Dense(d, 1), Vector<double>.Build.DenseOfArray(start));
            var point = result.MinimizingPoint.Select(v => Math.Clamp(v, 0, 1)).ToArray();
            return (point, f(point));
        }
        catch (Exception e) when (e is MaximumIterationsException or InnerOptimizationException or EvaluationException or ArgumentException or OptimizationException)
        {
            return (start, f(start));
        }
    }
}
