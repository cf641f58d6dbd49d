using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Tuning;

namespace Mnist.Core.Jobs;

/// <summary>
/// A study of the seed's search space, as the MNIST use cases read it: the generic
/// <see cref="StudyReport"/> and the network its best trial's hyperparameters build
/// (<see cref="ModelBuilder.Configure"/>).
/// </summary>
public sealed record MnistStudy(StudyReport Report, ModelConfig? BestConfig)
{
    public static MnistStudy From(StudyReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new MnistStudy(report, report.Best is { } best ? ModelBuilder.Configure(new HyperParameters(best.Hyperparameters)) : null);
    }

    /// <summary>The report's table and best trial, and the best trial's network.</summary>
    public string ToText()
    {
        var text = Report.ToText(Space);
        return BestConfig is null ? text : text + "  model: " + BestConfig + Environment.NewLine;
    }

    /// <summary><c>study show --csv</c>: one row per trial (<see cref="StudyReport.ToCsv"/>), the study's hyperparameters as columns.</summary>
    public string ToCsv() => Report.ToCsv(Space);

    /// <summary>The space the study stored; the seed's where the report carries none (a report built by hand).</summary>
    private SearchSpace Space => Report.Space is { Dimensions: > 0 } stored ? stored : ModelBuilder.SeedSearchSpace();

    /// <summary>
    /// <c>study best --json</c>: the best trial's network as the JSON file <c>mnist train
    /// --hyperparameters</c> reads (<see cref="ModelConfig"/> in <see cref="Json"/>'s convention), so
    /// training from it builds the same model. No completed trial yet is an error naming the study.
    /// </summary>
    public string BestConfigJson() => Json.Serialize(RequireBest());

    /// <summary>The best trial's network; no completed trial yet is an error naming the study and counting its trials.</summary>
    private ModelConfig RequireBest() => BestConfig ?? throw new InvalidOperationException(
        $"study '{Report.Study}' has no best trial yet: none of its {Report.Trials.Count} trials has completed ({Report.Pruned} pruned, {Report.Failed} failed, {Report.Trials.Count - Report.Completed - Report.Pruned - Report.Failed} queued, running or paused).");

    /// <summary><c>study best</c>: the best trial, its hyperparameters and its network, for people (the same error as <see cref="BestConfigJson"/> when there is none).</summary>
    public string BestToText()
    {
        var config = RequireBest();
        var best = Report.Best!;
        return string.Join(Environment.NewLine,
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Best trial {best.Id} of study '{Report.Study}': {Objective.Of(Report.Objective).Name} {best.Score:0.0000} at epoch {best.BestEpoch}"),
            "  " + Space.Format(best.Hyperparameters),
            "  model: " + config) + Environment.NewLine;
    }

    /// <summary><c>study best --out FILE</c>: writes <see cref="BestConfigJson"/> to <paramref name="path"/> (atomically) and says what it wrote.</summary>
    public string WriteBestConfig(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.WriteAllText(path, BestConfigJson() + Environment.NewLine);
        return $"Best trial {Report.Best!.Id} of study '{Report.Study}' written to {path}; train it with: mnist train --hyperparameters {path}";
    }

    /// <summary><c>study show --json</c>: the report's fields, with <c>best_config</c> after <c>best</c>.</summary>
    public string ToJson()
    {
        var node = JsonSerializer.SerializeToNode(Report, Json.Options)!.AsObject();
        var at = node.Select((p, i) => (p.Key, i)).First(p => p.Key == "best").i + 1;
        node.Insert(at, "best_config", JsonSerializer.SerializeToNode(BestConfig, Json.Options));
        return node.ToJsonString(Json.Options);
    }
}
