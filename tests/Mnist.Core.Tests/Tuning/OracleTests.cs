using MathNet.Numerics.LinearAlgebra;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

public sealed class OracleTests
{
    private const int Evaluations = 30;
    private static readonly int[] Seeds = [1, 2, 3, 4, 5];

    /// <summary>Median over the seeds of the best value found in 30 evaluations, Bayesian against random.</summary>
    private static (double Bayes, double Random, string Detail) Medians(SearchSpace space, Func<IReadOnlyDictionary<string, double>, double> f, BayesianOptions? options = null)
    {
        var bayes = Seeds.Select(s => TestFunctions.BestAfter(new BayesianOracle(space, options), space, f, Evaluations, s)).ToList();
        var random = Seeds.Select(s => TestFunctions.BestAfter(new RandomOracle(space), space, f, Evaluations, s)).ToList();
        return (TestFunctions.Median(bayes), TestFunctions.Median(random), $"bayes {string.Join(", ", bayes)} vs random {string.Join(", ", random)}");
    }

    [Fact]
    public void Given_branin_When_30_evaluations_are_spent_Then_the_bayesian_median_best_beats_random_search()
    {
        var (bayes, random, detail) = Medians(TestFunctions.BraninSpace, TestFunctions.Branin);

        Assert.True(bayes < random, detail);
        Assert.True(bayes < 0.5, $"bayes median {bayes} (optimum 0.398)");
    }

    [Fact]
    public void Given_hartmann6_When_30_evaluations_are_spent_Then_the_bayesian_median_best_beats_random_search()
    {
        var (bayes, random, detail) = Medians(TestFunctions.HartmannSpace, TestFunctions.Hartmann6);

        Assert.True(bayes < random, detail);
    }

    [Fact]
    public void Given_expected_improvement_When_used_on_branin_Then_it_also_beats_random_search()
    {
        var (bayes, random, detail) = Medians(TestFunctions.BraninSpace, TestFunctions.Branin, new BayesianOptions { Acquisition = AcquisitionKind.Ei });

        Assert.True(bayes < random, detail);
    }

    [Fact]
    public void Given_running_trials_When_suggesting_Then_no_point_already_tried_or_running_is_suggested_again()
    {
        var space = new SearchSpace([new IntParameter("a", 1, 4), new IntParameter("b", 1, 4)]);
        var oracle = new BayesianOracle(space, new BayesianOptions { InitialPoints = 3 });
        var history = new List<Observation>();
        var rng = new Random(5);

        for (var i = 0; i < 16; i++)
        {
            var u = oracle.Suggest(history, rng);
            Assert.DoesNotContain(space.Key(u), history.Select(h => space.Key(h.Unit)));
            history.Add(new Observation(u, i % 3 == 0 ? null : space.FromUnit(u)["a"] + space.FromUnit(u)["b"]));
        }
    }

    [Fact]
    public void Given_a_smooth_function_When_the_gaussian_process_is_fitted_Then_it_interpolates_with_small_uncertainty_at_the_data()
    {
        var rng = new Random(7);
        var x = Enumerable.Range(0, 15).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() }).ToList();
        var y = x.Select(p => Math.Sin(4 * p[0]) + p[1] * p[1]).ToList();

        var gp = GaussianProcess.Fit(x, y, rng);

        for (var i = 0; i < x.Count; i++)
        {
            var (mean, std) = gp.Predict(x[i]);
            Assert.Equal(y[i], mean, 1);
            Assert.True(std < 0.2, $"std {std}");
        }
        Assert.True(gp.Predict([0.5, 0.5]).Mean is > -2 and < 3);
    }

    [Fact]
    public void Given_kernel_parameters_When_the_likelihood_gradient_is_computed_Then_it_matches_finite_differences()
    {
        var rng = new Random(11);
        var x = Enumerable.Range(0, 8).Select(_ => new[] { rng.NextDouble(), rng.NextDouble(), rng.NextDouble() }).ToArray();
        var y = Vector<double>.Build.DenseOfEnumerable(x.Select(p => p[0] - 2 * p[1] + Math.Cos(3 * p[2])));
        double[] theta = [Math.Log(0.4), Math.Log(0.7), Math.Log(1.3), Math.Log(1.5), Math.Log(0.01)];

        var (_, gradient) = GaussianProcess.NegativeLogLikelihood(x, y, theta);

        for (var i = 0; i < theta.Length; i++)
        {
            var up = (double[])theta.Clone(); up[i] += 1e-5;
            var down = (double[])theta.Clone(); down[i] -= 1e-5;
            var numeric = (GaussianProcess.NegativeLogLikelihood(x, y, up).Value - GaussianProcess.NegativeLogLikelihood(x, y, down).Value) / 2e-5;
            Assert.Equal(numeric, gradient[i], 3);
        }
    }
}
