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

    private static readonly double[] Alpha = [1.0, 1.2, 3.0, 3.2];
    private static readonly double[,] A = { { 10, 3, 17, 3.5, 1.7, 8 }, { 0.05, 10, 17, 0.1, 8, 14 }, { 3, 3.5, 1.7, 10, 17, 8 }, { 17, 8, 0.05, 10, 0.1, 14 } };
    private static readonly double[,] P =
    {
        { 0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886 }, { 0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991 },
        { 0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650 }, { 0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381 },
    };

    public static double Hartmann6(IReadOnlyDictionary<string, double> p)
    {
        double sum = 0;
        for (var i = 0; i < 4; i++)
        {
            double inner = 0;
            for (var j = 0; j < 6; j++) inner += A[i, j] * Math.Pow(p[$"x{j + 1}"] - P[i, j], 2);
            sum += Alpha[i] * Math.Exp(-inner);
        }
        return -sum;
    }

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
