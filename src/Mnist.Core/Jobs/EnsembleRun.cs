using System.Diagnostics;
using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Training;
using TorchSharp;

namespace Mnist.Core.Jobs;

/// <summary>What <c>mnist ensemble</c> asks for: the members' run folders or model files, and where to write the ensemble.</summary>
public sealed record EnsembleRequest
{
    public required string OutDir { get; init; }
    public required IReadOnlyList<string> Models { get; init; }
    public string? DataDir { get; init; }
    public int? Threads { get; init; }
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;
}

/// <summary>
/// The ensemble's model file, its members' own test accuracies (as their files hold them), its
/// evaluation on the validation split when its members all held out the same images (null, with
/// <see cref="NoValidation"/> saying why, when they did not), and its test evaluation.
/// </summary>
public sealed record EnsembleOutcome(string ModelPath, IReadOnlyList<EnsembleMember> Members, EvaluationResult? Validation, string? NoValidation, EvaluationResult Test, TimeSpan Elapsed)
{
    public string ToText() => string.Join(Environment.NewLine,
        Members.Select((m, i) => FormattableString.Invariant($"member {i}: {m.Source}: {(m.TestAccuracy is { } a ? $"{a * 100:0.00}%" : "no test evaluation")}"))
            .Append(Validation is { } v
                ? FormattableString.Invariant($"ensemble of {Members.Count}: validation accuracy {v.Accuracy * 100:0.00}%, loss {v.Loss:0.0000} ({v.Count} images no member trained on)")
                : $"no validation accuracy: {NoValidation}")
            .Append(FormattableString.Invariant($"ensemble of {Members.Count}: test accuracy {Test.Accuracy * 100:0.00}%, loss {Test.Loss:0.0000} ({ModelPath})")));
}

/// <summary>
/// <c>mnist ensemble</c>: several trained models as one model file (<see cref="EnsembleNetwork"/>:
/// the mean of their probabilities), self-describing as a single model's file is (its members,
/// their hyperparameters and normalisations, how it averages), evaluated on the test set and
/// written to a run folder as a training run's exports are. Members must read the same dataset
/// (class names, input size, data files).
/// </summary>
public static class EnsembleRun
{
    public static async Task<EnsembleOutcome> RunAsync(EnsembleRequest request, TextWriter? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        log ??= TextWriter.Null;
        var clock = Stopwatch.StartNew();
        var folder = new RunFolder(request.OutDir);
        if (folder.HoldsRun) throw new InvalidOperationException($"{folder.Path} already holds a model ({RunFolder.ModelFileName} or {RunFolder.CheckpointFileName}); choose another folder.");
        var device = Engine.Configure(request.Threads, request.Device);

        var (network, ensemble) = CombineNetwork(request.Models);
        var manifest = ensemble.Manifest;
        using (network)
        {
            network.to(device);
            network.eval();
            var info = DatasetInfo.ByName(manifest.Dataset);
            var (heldOut, noValidation) = HeldOut(manifest);
            var dataset = await Dataset.LoadOrDownloadAsync(request.DataDir, info, log, includeTrain: heldOut is not null, ct: ct).ConfigureAwait(false);
            var validation = heldOut is null ? null
                : Evaluator.Evaluate(network, TrainingData.Split(dataset.Train, heldOut).Validation, manifest.Normalization, manifest.ClassNames, device);
            var (test, mistakes) = Evaluator.EvaluateWithMistakes(network, dataset.Test, manifest.Normalization, manifest.ClassNames, device);
            folder.Export(new ModelFileContents { Manifest = manifest, Weights = ensemble.Weights, Evaluation = test }, mistakes);
            return new EnsembleOutcome(folder.ModelPath, manifest.Members!, validation, noValidation, test, clock.Elapsed);
        }
    }

    /// <summary>The options of the validation split all the ensemble's members held out, or why there is none.</summary>
    private static (TrainingOptions? Options, string? Why) HeldOut(ModelManifest manifest)
    {
        try
        {
            return (manifest.HeldOutOptions()!, null);
        }
        catch (InvalidDataException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>
    /// The ensemble of the model files (or run folders) <paramref name="models"/>, as a model file's
    /// contents (manifest and weights, no evaluation): each member's weights under its sub-module.
    /// </summary>
    public static ModelFileContents Combine(IReadOnlyList<string> models)
    {
        var (network, contents) = CombineNetwork(models);
        network.Dispose();
        return contents;
    }

    /// <summary>As <see cref="Combine"/>, with the ensemble's network itself (the caller disposes it).</summary>
    private static (EnsembleNetwork Network, ModelFileContents Contents) CombineNetwork(IReadOnlyList<string> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        SettingException.Check(models.Count >= 2, "models", models.Count, "an ensemble needs at least 2 models");
        var sources = models.Select(RunFolder.ModelPathOf).ToList();
        var files = sources.Select(ModelFile.Read).ToList();
        var first = files[0].Manifest;
        for (var i = 0; i < files.Count; i++) CheckMember(sources[i], files[i].Manifest, sources[0], first);
        var members = files.Select((f, i) => new EnsembleMember(
            sources[i], f.Manifest.Hyperparameters, f.Manifest.Normalization, f.Manifest.Epoch, f.Manifest.Best, f.Manifest.Training, f.Manifest.TotalParams, f.Evaluation?.Accuracy)).ToList();
        var network = new EnsembleNetwork(members.Select(m => (m.Hyperparameters, m.Normalization)).ToList());
        try
        {
            for (var i = 0; i < files.Count; i++) ModelFile.LoadWeights(network.Members[i], files[i].Weights, sources[i]);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return (network, new ModelFileContents
        {
            Manifest = new ModelManifest
            {
                Dataset = first.Dataset,
                ClassNames = first.ClassNames,
                Hyperparameters = first.Hyperparameters,
                Normalization = Normalization.UnitRange,
                DataChecksums = first.DataChecksums,
                TotalParams = members.Sum(m => m.TotalParams),
                Members = members,
            },
            Weights = ModelFile.SerializeWeights(network),
        });
    }
    private static void CheckMember(string path, ModelManifest m, string firstPath, ModelManifest first)
    {
        if (m.IsEnsemble) throw new InvalidDataException($"{path}: is an ensemble itself; list its members' runs instead");
        if (m.Dataset != first.Dataset) throw new InvalidDataException($"{path}: reads {m.Dataset}, but {firstPath} reads {first.Dataset}; an ensemble's members read one dataset");
        if (!m.ClassNames.SequenceEqual(first.ClassNames)) throw new InvalidDataException($"{path}: its class names differ from those of {firstPath}");
        if (m.Hyperparameters.InputSize != first.Hyperparameters.InputSize || m.Hyperparameters.InputChannels != first.Hyperparameters.InputChannels)
        {
            throw new InvalidDataException($"{path}: takes {m.Hyperparameters.InputChannels}×{m.Hyperparameters.InputSize}² inputs, but {firstPath} takes {first.Hyperparameters.InputChannels}×{first.Hyperparameters.InputSize}²");
        }
        foreach (var (file, md5) in first.DataChecksums)
        {
            if (m.DataChecksums.TryGetValue(file, out var other) && other != md5)
            {
                throw new InvalidDataException($"{path}: was trained on {file} with MD5 {other}, but {firstPath} on one with MD5 {md5}; an ensemble's members read the same data");
            }
        }
    }
}
