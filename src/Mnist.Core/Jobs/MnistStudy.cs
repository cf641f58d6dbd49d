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
        var text = Report.ToText(ModelBuilder.SeedSearchSpace());
        return BestConfig is null ? text : text + "  model: " + BestConfig + Environment.NewLine;
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
