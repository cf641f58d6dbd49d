using System.CommandLine;
using Mnist.Core.Infrastructure;
using Mnist.Core.Jobs;
using Mnist.Core.Model;
using Mnist.Core.Tuning;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist pipeline</c>: search, final training of the best configuration, evaluation.</summary>
internal static class PipelineCommand
{
    /// <summary>Core's defaults, which the options' defaults read (each default is written once, in Core).</summary>
    private static readonly PipelineRequest Defaults = new() { OutDir = "." };

    private static readonly Option<string?> DataDir = CommonOptions.DataDir();
    private static readonly Option<string> DatasetName = CommonOptions.Dataset();
    private static readonly Option<string> Out = new("--out") { Description = "Folder for the study, the final model and the summary.", Required = true };
    private static readonly ChoiceOption<PipelinePresetKind> Preset = new("--preset",
        "quick (a short try: 10 trials of up to 3 epochs on 10% of the data, final up to 5 epochs) or seed (30 trials of up to 10 epochs on all the data pruned by ASHA, the seed's model first; final up to 100 epochs, continuing the best trial).",
        Choice.Parse<PipelinePresetKind>("preset", Defaults.Preset.Name));
    private static readonly ChoiceOption<OracleKind> Oracle = new("--oracle",
        "bayes, random, or hyperband (its brackets set the trials; the preset's trial epochs are its max epochs).",
        Defaults.Oracle);
    private static readonly Option<int> Factor = new("--factor") { Description = "Hyperband's reduction factor.", DefaultValueFactory = _ => Defaults.Factor };
    private static readonly Option<int> HyperbandIterations = new("--hyperband-iterations")
    {
        Description = "How many times Hyperband runs its whole set of brackets.",
        DefaultValueFactory = _ => Defaults.HyperbandIterations,
    };
    private static readonly ChoiceOption<PrunerKind> Pruner = CommonOptions.PrunerOrPreset();
    private static readonly Option<string[]> Enqueue = CommonOptions.Enqueue();
    private static readonly Option<string[]> Fix = CommonOptions.Fix();
    private static readonly Option<string?> MaxMultAdds = CommonOptions.MaxMultAdds("the preset's: 2.5e7 for seed, none for quick");
    private static readonly Option<string?> Storage = CommonOptions.Storage();
    private static readonly Option<string> Study = new("--study") { Description = "The search's study name (on a shared --storage, one per pipeline).", DefaultValueFactory = _ => Defaults.Study };
    private static readonly Option<bool> CompareSeed = new("--compare-seed") { Description = "Also train the seed's final model under the same final budget and report both." };
    private static readonly Option<int?> TrainLimit = new("--train-limit") { Description = "Use only the first N training images (quick experiments)." };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of every random source.", DefaultValueFactory = _ => Defaults.Seed };
    private static readonly AugmentationFlags Augment = new(Defaults.Augmentation);
    private static readonly ChoiceOption<Core.Tuning.TuningObjective> Monitor = CommonOptions.Monitor();
    private static readonly Option<int?> Threads = CommonOptions.Threads();
    private static readonly ChoiceOption<DeviceKind> Device = CommonOptions.Device();
    private static readonly Option<string?> TensorBoard = CommonOptions.TensorBoard();
    private static readonly Option<int> Ensemble = new("--ensemble")
    {
        Description = "Deliver an ensemble of K models (the mean of their probabilities): the final model and K - 1 more, from --ensemble-from. 1: the final model alone.",
        DefaultValueFactory = _ => Defaults.Ensemble,
    };
    private static readonly ChoiceOption<EnsembleSource> EnsembleFrom = new("--ensemble-from",
        "seeds (the best configuration trained again with seed + 1, seed + 2, ...) or trials (the next best trials' configurations, each trained as the final model is).",
        Defaults.EnsembleFrom);

    public static Command Create(CliContext context)
    {
        var command = new Command("pipeline", "The whole job: tune, retrain the best configuration in full, evaluate, save.")
        {
            DataDir, DatasetName, Out, Storage, Study, Preset, Oracle, Factor, HyperbandIterations, Enqueue, Fix, MaxMultAdds, Pruner, CompareSeed, TrainLimit, Monitor, Seed, Threads, Device, TensorBoard, Ensemble, EnsembleFrom,
        };
        Augment.AddTo(command);
        command.SetAction((parse, ct) => CliApp.Guard(context, async () =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, context.Cancellation);
            var summary = await PipelineRun.RunAsync(ToRequest(parse), new TunerProgress(context.Output, ModelBuilder.SeedSearchSpace()),
                () => new KerasProgress(context.Output, context.Interactive), context.Output, linked.Token).ConfigureAwait(false);
            context.Output.WriteLine();
            context.Output.WriteLine(PipelineRun.ToMarkdown(summary));
            context.Output.WriteLine($"Model file: {summary.ModelPath}");
            return CliApp.Ok;
        }));
        return command;
    }

    /// <summary>The preset, with --max-mult-adds in place of its budget when given.</summary>
    private static PipelinePreset ReadPreset(ParseResult parse)
    {
        var preset = PipelinePreset.Of(Preset.Read(parse));
        var given = parse.GetValue(MaxMultAdds);
        return given is null ? preset : preset with { MaxMultAdds = CommonOptions.ReadMaxMultAdds(given) };
    }

    public static PipelineRequest ToRequest(ParseResult parse) => new()
    {
        OutDir = parse.GetRequiredValue(Out),
        DataDir = parse.GetValue(DataDir),
        Dataset = parse.GetValue(DatasetName)!,
        Preset = ReadPreset(parse),
        Oracle = Oracle.Read(parse),
        Factor = parse.GetValue(Factor),
        HyperbandIterations = parse.GetValue(HyperbandIterations),
        Pruner = Pruner.ReadOrNull(parse),
        Enqueue = CommonOptions.ReadEnqueued(parse.GetValue(Enqueue)),
        Fixed = CommonOptions.ReadFixed(parse.GetValue(Fix)),
        Storage = parse.GetValue(Storage),
        Study = parse.GetValue(Study)!,
        CompareWithSeed = parse.GetValue(CompareSeed),
        TrainLimit = parse.GetValue(TrainLimit),
        Seed = parse.GetValue(Seed),
        Augmentation = Augment.Read(parse, Defaults.Augmentation),
        Monitor = Monitor.Read(parse),
        Threads = parse.GetValue(Threads),
        Device = Device.Read(parse),
        TensorBoardDir = parse.GetValue(TensorBoard),
        Ensemble = parse.GetValue(Ensemble),
        EnsembleFrom = EnsembleFrom.Read(parse),
    };
}
