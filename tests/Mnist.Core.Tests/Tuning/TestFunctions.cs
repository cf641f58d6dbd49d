using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

/// <summary>Standard global-optimisation test functions, as search spaces and objectives.</summary>
internal static class TestFunctions
{
    /// <summary>Branin-Hoo on [-5, 10] x [0, 15]; global minimum 0.397887.</summary>
    public static SearchSpace BraninSpace { get; } = new([new FloatParameter("x1", -5, 10), new FloatParameter("x2", 0, 15)]);

    public static double Branin(IReadOnlyDictionary<string, double> p)
    {
        var (x1, x2) = (p["x1"], p["x2"]);
        const double b = 5.1 / (4 * Math.PI * Math.PI), c = 5 / Math.PI, t = 1 / (8 * Math.PI);
        return Math.Pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * Math.Cos(x1) + 10;
    }

    /// <summary>Hartmann 6-D on [0, 1]^6; global minimum -3.32237.</summary>
    public static SearchSpace HartmannSpace { get; } = new(Enumerable.Range(1, 6).Select(i => (HyperParameter)new FloatParameter($"x{i}", 0, 1)).ToList());

    public static double Hartmann6(IReadOnlyDictionary<string, double> p) => Mnist.Samples.KnownFunctions.Hartmann6(p);

    /// <summary>The best value an oracle finds in <paramref name="evaluations"/> sequential evaluations.</summary>
    public static double BestAfter(IOracle oracle, SearchSpace space, Func<IReadOnlyDictionary<string, double>, double> f, int evaluations, int seed)
    {
        var history = new List<Observation>();
        for (var i = 0; i < evaluations; i++)
        {
            var u = oracle.Suggest(history, new Random(seed * 1000 + i));
            history.Add(new Observation(u, f(space.FromUnit(u))));
        }
        return history.Min(h => h.Loss!.Value);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>A trial objective computed by a test function: the score is its value, minimised (objective val_loss).</summary>
internal sealed class FunctionObjective(Func<IReadOnlyDictionary<string, double>, double> f, Action<TrialContext>? before = null) : ITrialObjective
{
    public TrialOutcome Run(TrialContext context)
    {
        before?.Invoke(context);
        return new TrialOutcome(f(context.Trial.Hyperparameters), 1, 1);
    }
}
