using System.IO.Compression;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;

namespace Mnist.Core.Training;

/// <summary>
/// A training run stopped between epochs, whole: the last epoch's weights, the best weights, Adam's
/// state, the loop's state (early stopping, ReduceLROnPlateau) and the history, with the options
/// and the data it was trained with. A trial saves one at the end of a Hyperband round (the next
/// round continues it) and at its end (the final training continues the best trial's).
/// </summary>
public sealed record TrainingSnapshot(byte[] Weights, byte[] BestWeights, byte[] Optimizer, TrainerState State, IReadOnlyList<EpochRecord> History)
{
    /// <summary>The options it was trained with; null in a snapshot saved before they were recorded.</summary>
    public TrainingOptions? Options { get; init; }

    /// <summary>The MD5 of each data file it was trained on; null in a snapshot saved before they were recorded.</summary>
    public IReadOnlyDictionary<string, string>? DataChecksums { get; init; }

    /// <summary>
    /// Why training with <paramref name="options"/> would not be this run continued (another
    /// dataset, data share, seed, batch size, augmentation or schedule; a one-cycle schedule,
    /// whose every step depends on the epoch budget), or null when it would be: the same run
    /// with another epoch budget reaches, epoch for epoch, what this one did.
    /// </summary>
    public string? CannotContinueAs(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Options is null) return "it does not record the options it was trained with";
        if (DataChecksums is null) return "it does not record the data it was trained on";
        if (Options.LrSchedule == LrSchedule.OneCycle || options.LrSchedule == LrSchedule.OneCycle) return "a one-cycle schedule depends on the epoch budget";
        if (Options.Epochs > options.Epochs) return $"it trained up to {Options.Epochs} epochs, more than the {options.Epochs} asked for";
        if (Options with { Epochs = options.Epochs } != options)
        {
            return $"it was trained with other options ({Json.Serialize(Options, indented: false)}, not {Json.Serialize(options with { Epochs = Options.Epochs }, indented: false)})";
        }
        return null;
    }

    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            ModelFile.WriteEntry(zip, "weights.bin", Weights);
            ModelFile.WriteEntry(zip, "best.bin", BestWeights);
            ModelFile.WriteEntry(zip, "optimizer.bin", Optimizer);
            ModelFile.WriteEntry(zip, "trainer_state.json", Json.Serialize(State));
            ModelFile.WriteEntry(zip, "history.json", Json.Serialize(History));
            if (Options is not null) ModelFile.WriteEntry(zip, "training.json", Json.Serialize(Options));
            if (DataChecksums is not null) ModelFile.WriteEntry(zip, "data_checksums.json", Json.Serialize(DataChecksums));
        }
        return ms.ToArray();
    }

    /// <summary>Reads <see cref="ToBytes"/>'s output; <paramref name="source"/> names it in errors.</summary>
    public static TrainingSnapshot Read(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            byte[] Entry(string name) => ModelFile.ReadBytes(zip, name) ?? throw new InvalidDataException($"{source}: saved state has no {name}");
            string Text(string name) => ModelFile.ReadText(zip, name) ?? throw new InvalidDataException($"{source}: saved state has no {name}");
            return new TrainingSnapshot(Entry("weights.bin"), Entry("best.bin"), Entry("optimizer.bin"),
                Json.Deserialize<TrainerState>(Text("trainer_state.json"), source), Json.Deserialize<List<EpochRecord>>(Text("history.json"), source))
            {
                Options = ModelFile.ReadText(zip, "training.json") is { } options ? Json.Deserialize<TrainingOptions>(options, source) : null,
                DataChecksums = ModelFile.ReadText(zip, "data_checksums.json") is { } sums ? Json.Deserialize<Dictionary<string, string>>(sums, source) : null,
            };
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(source, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{source}: saved state is not readable ({e.Message})", e);
        }
    }
}
