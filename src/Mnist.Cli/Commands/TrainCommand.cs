using System.CommandLine;
using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Training;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist train</c>: the seed's training job into a run folder.</summary>
internal static class TrainCommand
{
    /// <summary>Core's defaults, which the options' defaults read (each default is written once, in Core).</summary>
    private static readonly TrainingOptions Defaults = new();

    private static readonly Option<string?> DataDir = CommonOptions.DataDir();
    private static readonly Option<string> DatasetName = CommonOptions.Dataset();
    private static readonly Option<string> Out = new("--out") { Description = "Run folder for the model file, checkpoint, history and evaluation.", Required = true };
    private static readonly Option<int?> Epochs = new("--epochs") { Description = "Epoch budget (default 100, as the seed; early stopping usually ends sooner)." };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Mini-batch size (Keras's default, 32).", DefaultValueFactory = _ => Defaults.BatchSize };
    private static readonly Option<int> Patience = new("--patience") { Description = "Early stopping: epochs without a better --monitor value (0 = off).", DefaultValueFactory = _ => Defaults.Patience };
    private static readonly ChoiceOption<Core.Tuning.TuningObjective> Monitor = CommonOptions.Monitor();
    private static readonly Option<double> ValidationSplit = new("--validation-split") { Description = "Stratified share held out for validation.", DefaultValueFactory = _ => Defaults.ValidationFraction };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of every random source (init, split, shuffle, augmentation, dropout).", DefaultValueFactory = _ => Defaults.Seed };
    private static readonly Option<int?> SplitSeed = new("--split-seed") { Description = "Seed of the validation split alone (default: --seed). Runs with different --seed and one --split-seed hold out the same images, so an ensemble of them can be judged on validation." };
    private static readonly Option<int?> TrainLimit = new("--train-limit") { Description = "Use only the first N training images (quick runs)." };
    private static readonly Option<bool> NoAugment = new("--no-augment") { Description = "Switch augmentation off." };
    private static readonly Option<double> Rotation = new("--rotation") { Description = "Augmentation: max rotation in degrees.", DefaultValueFactory = _ => Defaults.Augmentation.RotationDegrees };
    private static readonly Option<double> Zoom = new("--zoom") { Description = "Augmentation: zoom range (0.1 = 0.9x to 1.1x).", DefaultValueFactory = _ => Defaults.Augmentation.Zoom };
    private static readonly Option<double> Shift = new("--shift") { Description = "Augmentation: max shift as a share of width and height.", DefaultValueFactory = _ => Defaults.Augmentation.Shift };
    private static readonly AugmentationFlags Augment = new(Defaults.Augmentation);
    private static readonly Option<bool> Standardize = new("--standardize") { Description = "Standardise pixels with the training set's mean and std (kept in the model file)." };
    private static readonly Option<double?> LearningRate = new("--learning-rate") { Description = "Adam learning rate (default: the hyperparameters', 1e-3 for the seed)." };
    private static readonly Option<int> ReduceLrPatience = new("--reduce-lr-patience") { Description = "ReduceLROnPlateau: multiply the rate by --reduce-lr-factor after N epochs without a better --monitor value (0 = off, as in the seed).", DefaultValueFactory = _ => Defaults.ReduceLrPatience };
    private static readonly Option<double> ReduceLrFactor = new("--reduce-lr-factor") { Description = "ReduceLROnPlateau: the factor the rate is multiplied by.", DefaultValueFactory = _ => Defaults.ReduceLrFactor };
    private static readonly ChoiceOption<LrSchedule> Schedule = new(
        "--lr-schedule",
        "How the learning rate moves: plateau (constant, reduced by ReduceLROnPlateau) or one_cycle (per batch over the whole --epochs budget: a cosine warm-up from a tenth of the rate to all of it over the first quarter, then cosine annealing to a thousandth; no plateau reductions; use with --patience 0 so that the run reaches the end of its cycle).",
        Defaults.LrSchedule);
    private static readonly Option<double> LabelSmoothing = new("--label-smoothing") { Description = "Label smoothing of the one-hot targets (0 = none, as in the seed).", DefaultValueFactory = _ => Defaults.LabelSmoothing };
    private static readonly Option<string?> Hyperparameters = new("--hyperparameters") { Description = "JSON file of hyperparameters (default: the seed's final model)." };
    private static readonly Option<bool> Resume = new("--resume") { Description = "Continue the run in --out from its last checkpoint." };
    private static readonly Option<int?> Threads = CommonOptions.Threads();
    private static readonly ChoiceOption<DeviceKind> Device = CommonOptions.Device();
    private static readonly Option<string?> TensorBoard = CommonOptions.TensorBoard();

    public static Command Create(CliContext context)
    {
        var command = new Command("train", "Train a model (the seed's final model by default) and evaluate it on the test set.")
        {
            DataDir, DatasetName, Out, Epochs, BatchSize, Patience, Monitor, ValidationSplit, Seed, SplitSeed, TrainLimit, NoAugment, Rotation, Zoom, Shift,
            Standardize, LearningRate, ReduceLrPatience, ReduceLrFactor, Schedule, LabelSmoothing, Hyperparameters, Resume, Threads, Device, TensorBoard,
        };
        Augment.AddTo(command);
        command.SetAction((parse, ct) => CliApp.Guard(context, async () =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, context.Cancellation);
            var request = ToRequest(parse);
            var progress = new KerasProgress(context.Output, context.Interactive);
            var outcome = await TrainingRun.RunAsync(request, progress, context.Output, linked.Token).ConfigureAwait(false);
            var best = outcome.Fit.BestEpoch;
            context.Output.WriteLine();
            context.Output.WriteLine($"Best epoch {best?.Epoch}: val_loss {best?.ValLoss:0.0000}, val_accuracy {best?.ValAccuracy * 100:0.00}%  ({outcome.Fit.History.Count} epochs, {outcome.Elapsed.TotalMinutes:0.0} min)");
            context.Output.WriteLine($"Test: accuracy {outcome.Test.Accuracy * 100:0.00}%, loss {outcome.Test.Loss:0.0000}  ({outcome.Test.Count} images)");
            context.Output.WriteLine($"Model file: {outcome.ModelPath}");
            return CliApp.Ok;
        }));
        return command;
    }

    /// <summary>The Core request a command line stands for.</summary>
    public static TrainRequest ToRequest(ParseResult parse)
    {
        var config = ModelConfig.Seed;
        if (parse.GetValue(Hyperparameters) is { } file)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"{file}: hyperparameters file not found", file);
            config = Json.Deserialize<ModelConfig>(File.ReadAllText(file), file);
        }
        if (parse.GetValue(LearningRate) is { } lr) config = config with { LearningRate = lr };
        var augmentation = parse.GetValue(NoAugment)
            ? AugmentationOptions.None
            : Augment.Read(parse, new AugmentationOptions(parse.GetValue(Rotation), parse.GetValue(Zoom), parse.GetValue(Shift)));
        var epochs = parse.GetValue(Epochs);
        return new TrainRequest
        {
            OutDir = parse.GetRequiredValue(Out),
            DataDir = parse.GetValue(DataDir),
            Config = config,
            Options = new TrainingOptions
            {
                Dataset = parse.GetValue(DatasetName)!,
                Epochs = epochs ?? 100,
                BatchSize = parse.GetValue(BatchSize),
                Patience = parse.GetValue(Patience),
                Monitor = Monitor.Read(parse),
                ValidationFraction = parse.GetValue(ValidationSplit),
                Seed = parse.GetValue(Seed),
                SplitSeed = parse.GetValue(SplitSeed),
                TrainLimit = parse.GetValue(TrainLimit),
                Augmentation = augmentation,
                Standardize = parse.GetValue(Standardize),
                ReduceLrPatience = parse.GetValue(ReduceLrPatience),
                ReduceLrFactor = parse.GetValue(ReduceLrFactor),
                LrSchedule = Schedule.Read(parse),
                LabelSmoothing = parse.GetValue(LabelSmoothing),
            },
            Resume = parse.GetValue(Resume),
            ResumeEpochs = epochs,
            Threads = parse.GetValue(Threads),
            Device = Device.Read(parse),
            TensorBoardDir = parse.GetValue(TensorBoard),
        };
    }
}
