using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using MathNet.Numerics.Optimization;

namespace Mnist.Core.Tuning;

/// <summary>
/// Gaussian-process regression on the unit cube: a Matérn 5/2 kernel with one length scale per
/// dimension, a signal variance and a noise variance, fitted to normalised targets by
/// maximising the log marginal likelihood (analytic gradient, bounded BFGS from several
/// starts). Linear algebra by Math.NET Numerics (Cholesky factorisation and solves).
/// </summary>
public sealed class GaussianProcess
{
    private static readonly double Sqrt5 = Math.Sqrt(5);
    private const double Jitter = 1e-8;

    private readonly double[][] _x;
    private readonly double _yMean;
    private readonly double _yStd;
    private readonly double[] _inverseLengthSq;
    private readonly double _signal;
    private readonly Vector<double> _alpha;
    private readonly Matrix<double> _kInverse;

    private GaussianProcess(double[][] x, double yMean, double yStd, double[] theta, Vector<double> alpha, Matrix<double> kInverse, double logLikelihood)
    {
        _x = x;
        _yMean = yMean;
        _yStd = yStd;
        var d = x[0].Length;
        LengthScales = theta.Take(d).Select(Math.Exp).ToArray();
        _inverseLengthSq = LengthScales.Select(l => 1 / (l * l)).ToArray();
        _signal = Math.Exp(theta[d]);
        NoiseVariance = Math.Exp(theta[d + 1]);
        _alpha = alpha;
        _kInverse = kInverse;
        LogMarginalLikelihood = logLikelihood;
    }

    public IReadOnlyList<double> LengthScales { get; }
    public double SignalVariance => _signal;
    public double NoiseVariance { get; }
    public double LogMarginalLikelihood { get; }

    /// <summary>Bounds of the log kernel parameters: length scales, signal variance, noise variance (targets normalised).</summary>
    public static (double Min, double Max) LogLengthScaleBounds => (Math.Log(0.01), Math.Log(20));
    public static (double Min, double Max) LogSignalBounds => (Math.Log(0.05), Math.Log(20));
    public static (double Min, double Max) LogNoiseBounds => (Math.Log(1e-6), Math.Log(0.5));

    public static GaussianProcess Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, Random rng, int restarts = 4)
    {
        if (x.Count == 0 || x.Count != y.Count) throw new ArgumentException($"{x.Count} points and {y.Count} targets: need one target per point, at least one");
        var xs = x.Select(p => p.ToArray()).ToArray();
        var d = xs[0].Length;
        var mean = y.Average();
        var std = Math.Sqrt(y.Sum(v => (v - mean) * (v - mean)) / y.Count);
        if (std < 1e-12) std = 1;
        var yn = Vector<double>.Build.DenseOfEnumerable(y.Select(v => (v - mean) / std));

        var lower = Vector<double>.Build.Dense(d + 2, i => i < d ? LogLengthScaleBounds.Min : i == d ? LogSignalBounds.Min : LogNoiseBounds.Min);
        var upper = Vector<double>.Build.Dense(d + 2, i => i < d ? LogLengthScaleBounds.Max : i == d ? LogSignalBounds.Max : LogNoiseBounds.Max);
        var starts = new List<Vector<double>> { Vector<double>.Build.Dense(d + 2, i => i < d ? Math.Log(0.5) : i == d ? 0 : Math.Log(1e-3)) };
        for (var r = 0; r < restarts; r++) starts.Add(Vector<double>.Build.Dense(d + 2, i => lower[i] + rng.NextDouble() * (upper[i] - lower[i])));

        var objective = ObjectiveFunction.Gradient(theta =>
        {
            var (nll, grad) = NegativeLogLikelihood(xs, yn, theta.ToArray());
            return (nll, Vector<double>.Build.DenseOfArray(grad));
        });
        double[]? best = null;
        var bestValue = double.PositiveInfinity;
        foreach (var start in starts)
        {
            double[] candidate;
            try
            {
                var result = new BfgsBMinimizer(1e-5, 1e-6, 1e-9, 200).FindMinimum(objective, lower, upper, start);
                candidate = result.MinimizingPoint.ToArray();
            }
            catch (Exception e) when (e is MaximumIterationsException or InnerOptimizationException or EvaluationException or ArgumentException or OptimizationException)
            {
                candidate = start.ToArray();
            }
            var value = NegativeLogLikelihood(xs, yn, candidate).Value;
            if (double.IsFinite(value) && value < bestValue)
            {
                bestValue = value;
                best = candidate;
            }
        }
        best ??= starts[0].ToArray();
        var k = Covariance(xs, best);
        var chol = k.Cholesky();
        return new GaussianProcess(xs, mean, std, best, chol.Solve(yn), chol.Solve(Matrix<double>.Build.DenseIdentity(xs.Length)), -bestValue);
    }

    /// <summary>Posterior mean and standard deviation of the latent function at <paramref name="point"/>, in target units.</summary>
    public (double Mean, double Std) Predict(IReadOnlyList<double> point)
    {
        var n = _x.Length;
        var kStar = new double[n];
        for (var i = 0; i < n; i++) kStar[i] = _signal * Matern(Distance(point, _x[i], _inverseLengthSq));
        double mean = 0;
        for (var i = 0; i < n; i++) mean += kStar[i] * _alpha[i];
        double quad = 0;
        for (var i = 0; i < n; i++)
        {
            double row = 0;
            for (var j = 0; j < n; j++) row += _kInverse[i, j] * kStar[j];
            quad += kStar[i] * row;
        }
        var variance = Math.Max(_signal - quad, 1e-12);
        return (_yMean + mean * _yStd, Math.Sqrt(variance) * _yStd);
    }

    /// <summary>Negative log marginal likelihood and its gradient in θ = (log ℓ₁..ℓd, log σf², log σn²).</summary>
    internal static (double Value, double[] Gradient) NegativeLogLikelihood(double[][] x, Vector<double> y, double[] theta)
    {
        var n = x.Length;
        var d = x[0].Length;
        var invLenSq = theta.Take(d).Select(t => Math.Exp(-2 * t)).ToArray();
        var signal = Math.Exp(theta[d]);
        var noise = Math.Exp(theta[d + 1]);
        var k = Covariance(x, theta);
        Cholesky<double> chol;
        try
        {
            chol = k.Cholesky();
        }
        catch (ArgumentException)
        {
            return (double.PositiveInfinity, new double[d + 2]);
        }
        var alpha = chol.Solve(y);
        var value = 0.5 * y.DotProduct(alpha) + 0.5 * chol.DeterminantLn + 0.5 * n * Math.Log(2 * Math.PI);
        var w = alpha.OuterProduct(alpha) - chol.Solve(Matrix<double>.Build.DenseIdentity(n));
        var grad = new double[d + 2];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var r = Distance(x[i], x[j], invLenSq);
                var e = Math.Exp(-Sqrt5 * r);
                var wij = w[i, j];
                grad[d] -= 0.5 * wij * signal * (1 + Sqrt5 * r + 5.0 / 3.0 * r * r) * e;
                if (i == j) grad[d + 1] -= 0.5 * wij * noise;
                if (i == j) continue;
                var common = signal * 5.0 / 3.0 * (1 + Sqrt5 * r) * e;
                for (var a = 0; a < d; a++)
                {
                    var diff = x[i][a] - x[j][a];
                    grad[a] -= 0.5 * wij * common * diff * diff * invLenSq[a];
                }
            }
        }
        return (value, grad);
    }

    private static Matrix<double> Covariance(double[][] x, double[] theta)
    {
        var d = x[0].Length;
        var invLenSq = theta.Take(d).Select(t => Math.Exp(-2 * t)).ToArray();
        var signal = Math.Exp(theta[d]);
        var noise = Math.Exp(theta[d + 1]);
        return Matrix<double>.Build.Dense(x.Length, x.Length, (i, j) =>
            signal * Matern(Distance(x[i], x[j], invLenSq)) + (i == j ? noise + Jitter : 0));
    }

    private static double Matern(double r) => (1 + Sqrt5 * r + 5.0 / 3.0 * r * r) * Math.Exp(-Sqrt5 * r);

    private static double Distance(IReadOnlyList<double> a, IReadOnlyList<double> b, double[] invLenSq)
    {
        double sum = 0;
        for (var i = 0; i < invLenSq.Length; i++)
        {
            var diff = a[i] - b[i];
            sum += diff * diff * invLenSq[i];
        }
        return Math.Sqrt(sum);
    }
}
