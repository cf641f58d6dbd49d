using System.IO.Compression;
using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;
using Mnist.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mnist.Core.Model;

/// <summary>A run a training continued: what it was (<c>trial 3 of study 'study'</c>) and the epochs it had trained.</summary>
public sealed record ContinuedRun(string Source, int Epochs);

/// <summary>The best value of the monitored metric and the epoch it was reached at.</summary>
public sealed record BestMetric(string Monitor, double Value, int Epoch);

/// <summary>
/// What a model file says about itself: enough for evaluate, predict and the web app to rebuild
/// the network and its preprocessing from the file alone.
/// </summary>
public sealed record ModelManifest
{
    public const string FormatName = "mnist-dotnet-model";
    public const int CurrentVersion = 1;

    public string Format { get; init; } = FormatName;
    public int FormatVersion { get; init; } = CurrentVersion;
    public required string Dataset { get; init; }
    public required IReadOnlyList<string> ClassNames { get; init; }
    public required ModelConfig Hyperparameters { get; init; }
    public required Normalization Normalization { get; init; }

    /// <summary>The epoch (1-based) whose weights the file holds.</summary>
    public int Epoch { get; init; }
    public BestMetric? Best { get; init; }
    public EpochRecord? Metrics { get; init; }
    public required IReadOnlyDictionary<string, string> DataChecksums { get; init; }
    public TrainingOptions? Training { get; init; }

    /// <summary>
    /// For an ensemble, its members (two or more) as their files described them; null for a
    /// single network. An ensemble's <see cref="Hyperparameters"/> are its first member's, its
    /// <see cref="Normalization"/> the identity (each member normalises for itself), its
    /// <see cref="Epoch"/> 0 and <see cref="TotalParams"/> the sum of the members'.
    /// </summary>
    public IReadOnlyList<EnsembleMember>? Members { get; init; }

    /// <summary>Whether the file holds an ensemble.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsEnsemble => Members is { Count: > 0 };

    /// <summary>
    /// The options that decide which training images the model never trained on (its validation
    /// split, <see cref="TrainingData.Split"/>): a single network's own; an ensemble's, those of its
    /// members when they all held out the same images (trained with one split seed). Null when a
    /// single network's file records none. An ensemble with a member that records none, or whose
    /// members held out different images, has no validation split that none of them trained on:
    /// that is an error naming the member (or two members that differ).
    /// </summary>
    /// <exception cref="InvalidDataException">A member does not record its training, or the members held out different images.</exception>
    public TrainingOptions? HeldOutOptions()
    {
        if (Members is not { Count: > 0 } members) return Training;
        if (members.FirstOrDefault(m => m.Training is null) is { } unknown)
        {
            throw new InvalidDataException(
                $"the ensemble's member {unknown.Source} does not record how it was trained, so the images it held out are not known "
                + "and the ensemble has no validation split that none of its members trained on");
        }
        var first = members[0];
        var firstOptions = first.Training!;
        foreach (var member in members.Skip(1))
        {
            var options = member.Training!;
            if (!TrainingData.HoldOutSameImages(options, firstOptions))
            {
                throw new InvalidDataException(
                    $"the ensemble's members hold out different validation images ({first.Source}: {TrainingData.DescribeHeldOut(firstOptions)}; {member.Source}: {TrainingData.DescribeHeldOut(options)}), "
                    + "so each trained on images another held out; train its members with one --split-seed to judge the ensemble on validation");
            }
        }
        return firstOptions;
    }

    /// <summary>The run this one continued (a tuning trial's end) and its epochs, the first of this run's history; null for a run trained from scratch.</summary>
    public ContinuedRun? ContinuedFrom { get; init; }
    public long TotalParams { get; init; }
    public DateTimeOffset CreatedUtc { get; init; } = DateTimeOffset.UtcNow;
    public string TorchSharpVersion { get; init; } = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown";
}

/// <summary>The contents of a model file or checkpoint (a zip archive of JSON and TorchSharp weight files).</summary>
public sealed class ModelFileContents
{
    public required ModelManifest Manifest { get; init; }
    public IReadOnlyList<EpochRecord> History { get; init; } = [];
    public EvaluationResult? Evaluation { get; init; }
    public TrainerState? TrainerState { get; init; }
    public byte[] Weights { get; init; } = [];

    /// <summary>
    /// In a checkpoint, the best epoch's weights when they are not <see cref="Weights"/> (a checkpoint
    /// holds the last epoch's); null when the last epoch is the best, and in a model file.
    /// </summary>
    public byte[]? BestWeights { get; init; }
    public byte[]? OptimizerState { get; init; }
}

/// <summary>
/// Reads and writes model files and checkpoints (where a run folder keeps them: <see cref="RunFolder"/>).
/// Entries: manifest.json, weights.bin (TorchSharp's state format), history.json, evaluation.json,
/// and for training checkpoints optimizer.bin, trainer_state.json and best_weights.bin (when the
/// best epoch is not the last). Writes are atomic.
/// </summary>
public static class ModelFile
{
    public static byte[] SerializeWeights(nn.Module module)
    {
        using var ms = new MemoryStream();
        using (var writer = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) module.save(writer);
        return ms.ToArray();
    }

    public static void LoadWeights(nn.Module module, byte[] weights, string source)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(weights));
            module.load(reader, strict: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"{source}: weights do not match the hyperparameters in its manifest ({e.Message})", e);
        }
    }

    public static void Save(string path, ModelFileContents contents) =>
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            WriteEntry(zip, "manifest.json", Json.Serialize(contents.Manifest));
            WriteEntry(zip, "weights.bin", contents.Weights);
            WriteEntry(zip, "history.json", Json.Serialize(contents.History));
            if (contents.Evaluation is not null) WriteEntry(zip, "evaluation.json", Json.Serialize(contents.Evaluation));
            if (contents.TrainerState is not null) WriteEntry(zip, "trainer_state.json", Json.Serialize(contents.TrainerState));
            if (contents.OptimizerState is not null) WriteEntry(zip, "optimizer.bin", contents.OptimizerState);
            if (contents.BestWeights is { } best && !ReferenceEquals(best, contents.Weights)) WriteEntry(zip, "best_weights.bin", best);
        });

    public static ModelFileContents Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: model file not found (pass a run folder holding {RunFolder.ModelFileName}, or the file itself)", path);
        }
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var manifestJson = ReadText(zip, "manifest.json") ?? throw new InvalidDataException($"{path}: not a model file (no manifest.json)");
            var manifest = Json.Deserialize<ModelManifest>(manifestJson, $"{path}:manifest.json");
            if (manifest.Format != ModelManifest.FormatName)
            {
                throw new InvalidDataException($"{path}: format '{manifest.Format}' is not {ModelManifest.FormatName}");
            }
            if (manifest.FormatVersion > ModelManifest.CurrentVersion)
            {
                throw new InvalidDataException($"{path}: format version {manifest.FormatVersion} is newer than this program reads ({ModelManifest.CurrentVersion})");
            }
            var history = ReadText(zip, "history.json");
            var evaluation = ReadText(zip, "evaluation.json");
            var state = ReadText(zip, "trainer_state.json");
            return new ModelFileContents
            {
                Manifest = manifest,
                Weights = ReadBytes(zip, "weights.bin") ?? throw new InvalidDataException($"{path}: no weights.bin"),
                History = history is null ? [] : Json.Deserialize<List<EpochRecord>>(history, $"{path}:history.json"),
                Evaluation = evaluation is null ? null : Json.Deserialize<EvaluationResult>(evaluation, $"{path}:evaluation.json"),
                TrainerState = state is null ? null : Json.Deserialize<TrainerState>(state, $"{path}:trainer_state.json"),
                OptimizerState = ReadBytes(zip, "optimizer.bin"),
                BestWeights = ReadBytes(zip, "best_weights.bin"),
            };
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: not a readable model file ({e.Message})", e);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path}: corrupt manifest ({e.Message})", e);
        }
    }

    /// <summary>The network a manifest describes, untrained: the network of its hyperparameters, or the ensemble of its members'.</summary>
    public static nn.Module<Tensor, Tensor> BuildNetwork(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.Members is { Count: > 0 } members
            ? new EnsembleNetwork(members.Select(m => (m.Hyperparameters, m.Normalization)).ToList())
            : ModelBuilder.Build(manifest.Hyperparameters);
    }

    /// <summary>Rebuilds the network (or ensemble) from the file alone, in eval mode.</summary>
    public static (nn.Module<Tensor, Tensor> Model, ModelFileContents Contents) LoadModel(string path, Device? device = null)
    {
        var contents = Read(path);
        var model = BuildNetwork(contents.Manifest);
        LoadWeights(model, contents.Weights, path);
        if (device is not null) model.to(device);
        model.eval();
        return (model, contents);
    }

    /// <summary>A text entry (JSON compressed well, binary fast), as every model file writes its entries.</summary>
    internal static void WriteEntry(ZipArchive zip, string name, string text) =>
        WriteEntry(zip, name, System.Text.Encoding.UTF8.GetBytes(text));

    internal static void WriteEntry(ZipArchive zip, string name, byte[] bytes)
    {
        var entry = zip.CreateEntry(name, name.EndsWith(".json", StringComparison.Ordinal) ? CompressionLevel.Optimal : CompressionLevel.Fastest);
        using var s = entry.Open();
        s.Write(bytes);
    }

    /// <summary>An entry's bytes, or null when the archive has none of that name.</summary>
    internal static byte[]? ReadBytes(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name);
        if (entry is null) return null;
        using var s = entry.Open();
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    internal static string? ReadText(ZipArchive zip, string name) =>
        ReadBytes(zip, name) is { } b ? System.Text.Encoding.UTF8.GetString(b) : null;
}
