using System.Globalization;
using System.Text;
using Mnist.Core.Tuning;
using Mnist.Samples;

namespace Mnist.Bench;

/// <summary>
/// How the Gaussian process should learn from pruned trials, chosen by measurement: a
/// multi-fidelity test problem (Hartmann 6-D, whose value a trial approaches along a learning
/// curve that is slower for some configurations, with noise) searched by the real tuner, store
/// and ASHA pruner, with each <see cref="PrunedTrialModel"/>, and without pruning for reference.
/// Reported per variant over the seeds: the true value (Hartmann at the chosen configuration) of
/// the best completed trial, and the epochs spent.
/// </summary>
internal static class SurrogateExperiment
{
    public sealed record Row(string Variant, double MedianRegret, double MeanRegret, double MedianTriedRegret, double MedianEpochs, double MedianCompleted, IReadOnlyList<double> Regrets);

    private static readonly SearchSpace Space = new(Enumerable.Range(1, 6).Select(i => (HyperParameter)new FloatParameter($"x{i}", 0, 1)).ToList());

    public const double Optimum = KnownFunctions.Hartmann6Minimum;

    public static double Hartmann(IReadOnlyDictionary<string, double> p) => KnownFunctions.Hartmann6(p);

    /// <summary>A trial's value after <paramref name="epochs"/>: Hartmann plus a gap that shrinks with training, slower where x6 is large.</summary>
    public static double Curve(IReadOnlyDictionary<string, double> p, double epochs) => Hartmann(p) + 2.0 * Math.Exp(-epochs / (0.5 + 2.5 * p["x6"]));

    private sealed class CurveObjective(int seed) : ITrialObjective
    {
        public TrialOutcome Run(TrialContext context)
        {
            var p = context.Trial.Hyperparameters;
            var noise = new Random(seed * 7919 + context.Trial.Id);
            double Noisy(double epochs) => Curve(p, epochs) + 0.03 * (noise.NextDouble() - 0.5);
            for (var k = 0; k < context.Rungs.Count; k++)
            {
                var v = Noisy(context.Rungs[k]);
                if (context.ShouldPrune(k, context.Rungs[k], v)) return new TrialOutcome(v, 0, context.Rungs[k], k);
            }
            return new TrialOutcome(Noisy(MaxEpochs), (int)MaxEpochs, MaxEpochs);
        }
    }

    private const double MaxEpochs = 10;

    public static IReadOnlyList<Row> Run(int seeds, int trials, TextWriter log)
    {
        var variants = new (string Name, IPruner Pruner, PrunedTrialModel Model)[]
        {
            ("ASHA, resource as a surrogate input", new SuccessiveHalvingPruner(), PrunedTrialModel.ResourceInput),
            ("ASHA, a pruned trial's last value as final", new SuccessiveHalvingPruner(), PrunedTrialModel.LastValue),
            ("no pruning", new NoPruner(), PrunedTrialModel.ResourceInput),
        };
        var rows = new List<Row>();
        foreach (var (name, pruner, model) in variants)
        {
            var regrets = new List<double>();
            var tried = new List<double>();
            var completed = new List<double>();
            var epochs = new List<double>();
            for (var seed = 1; seed <= seeds; seed++)
            {
                var file = Path.Combine(Path.GetTempPath(), $"mnist-surrogate-{Guid.NewGuid():N}.db");
                try
                {
                    using var store = new SqliteStudyStore(file);
                    store.OpenOrCreate(new StudyDefinition("surrogate", Space.Parameters, TuningObjective.ValLoss));
                    var oracle = new BayesianOracle(Space, new BayesianOptions { InitialPoints = 5, PrunedTrials = model });
                    new Tuner(store, oracle, Space, new CurveObjective(seed), new TunerOptions
                    {
                        MaxTrials = trials, Seed = seed, Worker = "bench", Pruner = pruner, MaxEpochs = MaxEpochs,
                    }).Run();
                    var all = store.Trials();
                    var best = all.Where(t => t.Status == TrialStatus.Completed).MinBy(t => t.Score!.Value)!;
                    regrets.Add(Hartmann(best.Hyperparameters) - Optimum);
                    tried.Add(all.Min(t => Hartmann(t.Hyperparameters)) - Optimum);
                    completed.Add(all.Count(t => t.Status == TrialStatus.Completed));
                    epochs.Add(all.Sum(t => t.Epochs ?? 0));
                    log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}, seed {seed}: regret {regrets[^1]:0.0000}, {epochs[^1]:0.#} epochs, {all.Count(t => t.Status == TrialStatus.Pruned)} pruned"));
                }
                finally
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    foreach (var f in new[] { file, file + "-wal", file + "-shm" }) File.Delete(f);
                }
            }
            rows.Add(new Row(name, Median(regrets), regrets.Average(), Median(tried), Median(epochs), Median(completed), regrets));
        }
        return rows;
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    public static string ToMarkdown(IReadOnlyList<Row> rows, int seeds, int trials, string command)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"`{command}`: {trials} trials of up to {MaxEpochs} epochs, seeds 1-{seeds}; regret = Hartmann 6-D at the best completed trial minus its optimum (lower is better); \"best tried\" = the same for the best configuration any trial tried, pruned or not (how well the oracle explored).");
        sb.AppendLine();
        sb.AppendLine("| variant | median regret | mean regret | median regret, best tried | median epochs | median completed trials | regret per seed |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            sb.AppendLine(inv, $"| {r.Variant} | {r.MedianRegret:0.000} | {r.MeanRegret:0.000} | {r.MedianTriedRegret:0.000} | {r.MedianEpochs:0.#} | {r.MedianCompleted:0.#} | {string.Join(", ", r.Regrets.Select(x => x.ToString("0.000", inv)))} |");
        }
        return sb.ToString();
    }
}
