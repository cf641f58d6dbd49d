using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace Mnist.Core.Tuning;

/// <summary>A point of the unit cube tried before: its loss (lower is better), or null while its trial runs.</summary>
public sealed record Observation(double[] Unit, double? Loss);

/// <summary>Suggests the next point of the unit cube to try. It never sees types or names.</summary>
public interface IOracle
{
    string Name { get; }

    double[] Suggest(IReadOnlyList<Observation> history, Random rng);
}

public enum AcquisitionKind
{
    /// <summary>Upper confidence bound (here on the loss: μ - βσ, minimised), as KerasTuner.</summary>
    Ucb,

    /// <summary>Expected improvement over the best loss seen.</summary>
    Ei,
}

/// <summary>Uniform random search, for comparison; never suggests a point tried before.</summary>
public sealed class RandomOracle(SearchSpace space) : IOracle
{
    public string Name => "random";

    public double[] Suggest(IReadOnlyList<Observation> history, Random rng)
    {
        var seen = history.Select(h => space.Key(h.Unit)).ToHashSet();
        double[] point = [];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            point = space.Snap(Enumerable.Range(0, space.Dimensions).Select(_ => rng.NextDouble()).ToArray());
            if (!seen.Contains(space.Key(point))) break;
        }
        return point;
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
}

/// <summary>
/// Bayesian optimisation: a Gaussian-process surrogate of the loss over the unit cube and an
/// acquisition function (UCB with β = 2.6, or expected improvement), maximised from many random
/// candidates and refined locally by bounded BFGS. Trials still running count with the worst
/// loss seen (a pessimistic guess, as KerasTuner does) so that concurrent workers spread out;
/// a point whose hyperparameters were tried already is never suggested again.
/// </summary>
public sealed class BayesianOracle(SearchSpace space, BayesianOptions? options = null) : IOracle
{
    private readonly BayesianOptions _options = options ?? new BayesianOptions();

    public string Name => "bayes";

    public BayesianOptions Options => _options;

    public double[] Suggest(IReadOnlyList<Observation> history, Random rng)
    {
        var finished = history.Where(h => h.Loss is { } l && double.IsFinite(l)).ToList();
        if (finished.Count < Math.Max(_options.InitialPoints, 2)) return new RandomOracle(space).Suggest(history, rng);

        var worst = finished.Max(h => h.Loss!.Value);
        var points = history.Select(h => space.Snap(h.Unit)).ToList();
        var losses = history.Select(h => h.Loss is { } l && double.IsFinite(l) ? l : worst).ToList();
        var gp = GaussianProcess.Fit(points, losses, rng, _options.KernelRestarts);
        var best = finished.Min(h => h.Loss!.Value);
        double Score(double[] u) => Acquisition(gp, u, best); // lower is better

        var d = space.Dimensions;
        var candidates = Enumerable.Range(0, _options.RandomCandidates)
            .Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray())
            .Concat(finished.OrderBy(h => h.Loss).Take(3).Select(h => Jitter(h.Unit, rng)))
            .Select(u => (Point: u, Value: Score(u)))
            .OrderBy(c => c.Value)
            .ToList();
        var refined = candidates.Take(_options.LocalRefinements).Select(c => Refine(c.Point, Score)).Concat(candidates)
            .OrderBy(c => c.Value).ToList();

        var seen = history.Select(h => space.Key(h.Unit)).ToHashSet();
        foreach (var c in refined)
        {
            var snapped = space.Snap(c.Point);
            if (!seen.Contains(space.Key(snapped))) return snapped;
        }
        return new RandomOracle(space).Suggest(history, rng);
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
