namespace Mnist.Samples;

/// <summary>Standard global-optimisation test functions with known optima, for the search's tests and experiments.</summary>
public static class KnownFunctions
{
    /// <summary>The global minimum of <see cref="Hartmann6"/>.</summary>
    public const double Hartmann6Minimum = -3.32237;

    private static readonly double[] Alpha = [1.0, 1.2, 3.0, 3.2];
    private static readonly double[,] A = { { 10, 3, 17, 3.5, 1.7, 8 }, { 0.05, 10, 17, 0.1, 8, 14 }, { 3, 3.5, 1.7, 10, 17, 8 }, { 17, 8, 0.05, 10, 0.1, 14 } };
    private static readonly double[,] P =
    {
        { 0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886 }, { 0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991 },
        { 0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650 }, { 0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381 },
    };

    /// <summary>Hartmann 6-D on [0, 1]^6 of the parameters x1..x6.</summary>
    public static double Hartmann6(IReadOnlyDictionary<string, double> p)
    {
        ArgumentNullException.ThrowIfNull(p);
        double sum = 0;
        for (var i = 0; i < 4; i++)
        {
            double inner = 0;
            for (var j = 0; j < 6; j++) inner += A[i, j] * Math.Pow(p[$"x{j + 1}"] - P[i, j], 2);
            sum += Alpha[i] * Math.Exp(-inner);
        }
        return -sum;
    }
}
