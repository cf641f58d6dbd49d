using System.CommandLine;
using System.Globalization;
using Mnist.Core.Infrastructure;
using Mnist.Core.Jobs;
using Mnist.Core.Model;
using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist tune</c>: the seed's search, persistent and resumable; several processes may share a study.</summary>
internal static class TuneCommand
{
    private static readonly Option<string?> DataDir = CommonOptions.DataDir();
    private static readonly Option<string> DatasetName = CommonOptions.Dataset();
    /// <summary>Core's defaults, which the options' defaults read (each default is written once, in Core).</summary>
    private static readonly TuneRequest Defaults = new() { OutDir = "." };

    private static readonly Option<string> Out = new("--out") { Description = "Folder of the study database (NAME.db, unless --storage) and of the study's pictures.", Required = true };
    private static readonly Option<string?> Storage = CommonOptions.Storage();
    private static readonly Option<string> Study = new("--study") { Description = "Study name; run the same command again (or in parallel) to resume or share it.", DefaultValueFactory = _ => Defaults.Study };
    private static readonly Option<int> Trials = new("--trials") { Description = "Trial budget of the study.", DefaultValueFactory = _ => Defaults.Trials };
    private static readonly ChoiceOption<OracleKind> Oracle = new("--oracle",
        "bayes (Gaussian process), random, or hyperband (KerasTuner's: brackets of successive halving up to --max-epochs; promoted trials continue from their saved weights; --trials then caps the configurations only if given).",
        Defaults.Oracle);
    private static readonly Option<int> Factor = new("--factor") { Description = "Hyperband's reduction factor.", DefaultValueFactory = _ => Defaults.Factor };
    private static readonly Option<int> HyperbandIterations = new("--hyperband-iterations") { Description = "How many times Hyperband runs its whole set of brackets.", DefaultValueFactory = _ => Defaults.HyperbandIterations };
    private static readonly Option<string[]> Enqueue = CommonOptions.Enqueue();
    private static readonly Option<string[]> Fix = CommonOptions.Fix();
    private static readonly Option<string?> MaxMultAdds = CommonOptions.MaxMultAdds("none");
    private static readonly Option<int> Initial = new("--initial") { Description = "Random trials before the Gaussian process guides the search.", DefaultValueFactory = _ => Defaults.InitialPoints };
    private static readonly ChoiceOption<AcquisitionKind> Acquisition = new("--acquisition", "ucb (beta 2.6, as KerasTuner) or ei (expected improvement).", Defaults.Acquisition);
    private static readonly ChoiceOption<TuningObjective> Objective = new("--objective", "val_accuracy (maximised) or val_loss (minimised), of each trial's best epoch.", Defaults.Objective);
    private static readonly ChoiceOption<PrunerKind> Pruner = CommonOptions.Pruner(Defaults.Pruner);
    private static readonly Option<double> StaleAfter = new("--stale-after")
    {
        Description = "Seconds without a heartbeat after which a running trial is taken to be dead and run again by another worker (a worker on the same machine whose process is gone is noticed at once).",
        DefaultValueFactory = _ => Defaults.StaleAfter.TotalSeconds,
    };
    private static readonly Option<int> MaxEpochs = new("--max-epochs") { Description = "Per-trial epoch cap (early stopping on --monitor, patience 5, may end sooner).", DefaultValueFactory = _ => Defaults.TrialOptions.Epochs };
    private static readonly Option<double> DataFraction = new("--data-fraction") { Description = "Stratified share of the training images each trial trains on.", DefaultValueFactory = _ => Defaults.TrialOptions.DataFraction };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of the search and of every trial's training.", DefaultValueFactory = _ => Defaults.TrialOptions.Seed };
    private static readonly AugmentationFlags Augment = new(Defaults.TrialOptions.Augmentation);
    private static readonly ChoiceOption<TuningObjective> Monitor = CommonOptions.MonitorOrObjective();
    private static readonly Option<int?> Threads = CommonOptions.Threads();
    private static readonly ChoiceOption<DeviceKind> Device = CommonOptions.Device();
    private static readonly Option<string?> TensorBoard = CommonOptions.TensorBoard();

    public static Command Create(CliContext context)
    {
        var command = new Command("tune", "Search the seed's hyperparameter space with Bayesian optimisation.")
        {
            DataDir, DatasetName, Out, Storage, Study, Trials, Oracle, Factor, HyperbandIterations, Enqueue, Fix, MaxMultAdds, Initial, Acquisition, Objective, Pruner, StaleAfter, MaxEpochs, DataFraction, Monitor, Seed, Threads, Device, TensorBoard,
        };
        Augment.AddTo(command);
        command.SetAction((parse, ct) => CliApp.Guard(context, async () =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, context.Cancellation);
            var report = await TuneRun.RunAsync(ToRequest(parse), new TunerProgress(context.Output, ModelBuilder.SeedSearchSpace()),
                () => new KerasProgress(context.Output, context.Interactive), context.Output, linked.Token).ConfigureAwait(false);
            context.Output.WriteLine();
            context.Output.WriteLine(report.ToText());
            return CliApp.Ok;
        }, TrialFlags));
        return command;
    }

    /// <summary>A trial's epoch budget is --max-epochs here.</summary>
    private static readonly Dictionary<string, string> TrialFlags = new(StringComparer.Ordinal) { ["epochs"] = "--max-epochs" };

    public static TuneRequest ToRequest(ParseResult parse) => new()
    {
        OutDir = parse.GetRequiredValue(Out),
        Storage = parse.GetValue(Storage),
        Study = parse.GetValue(Study)!,
        DataDir = parse.GetValue(DataDir),
        Trials = parse.GetValue(Trials),
        Oracle = Oracle.Read(parse),
        Enqueue = CommonOptions.ReadEnqueued(parse.GetValue(Enqueue)),
        Fixed = CommonOptions.ReadFixed(parse.GetValue(Fix)),
        MaxMultAdds = CommonOptions.ReadMaxMultAdds(parse.GetValue(MaxMultAdds)),
        InitialPoints = parse.GetValue(Initial),
        Acquisition = Acquisition.Read(parse),
        Objective = Objective.Read(parse),
        Pruner = Pruner.Read(parse),
        Factor = parse.GetValue(Factor),
        HyperbandIterations = parse.GetValue(HyperbandIterations),
        HyperbandMaxConfigurations = parse.GetResult(Trials) is { Implicit: false } ? parse.GetValue(Trials) : null,
        StaleAfter = TimeSpan.FromSeconds(parse.GetValue(StaleAfter)),
        TrialOptions = new TrainingOptions { Dataset = parse.GetValue(DatasetName)!, Epochs = parse.GetValue(MaxEpochs), DataFraction = parse.GetValue(DataFraction), Seed = parse.GetValue(Seed), Augmentation = Augment.Read(parse, Defaults.TrialOptions.Augmentation), Monitor = Monitor.ReadOrNull(parse) ?? Objective.Read(parse) },
        Threads = parse.GetValue(Threads),
        Device = Device.Read(parse),
        TensorBoardDir = parse.GetValue(TensorBoard),
    };
}

/// <summary>One line when a trial starts and one when it ends, with hyperparameters, score and time.</summary>
internal sealed class TunerProgress(TextWriter output, SearchSpace space) : ITunerObserver
{
    public void OnTrialStart(TrialRecord trial) =>
        output.WriteLine($"Trial {trial.Id}{(trial.Attempts > 1 ? $" (attempt {trial.Attempts})" : "")}" +
                         (trial.Plan is { } p ? $" [bracket {p.Bracket}, round {p.Round}: epochs {p.FromEpochs} to {p.Epochs}]" : "") +
                         $": {space.Format(trial.Hyperparameters)}");

    public void OnTrialEnd(TrialRecord trial, TrialOutcome? outcome, string? error, TimeSpan elapsed) =>
        output.WriteLine(outcome switch
        {
            { PrunedAtRung: { } rung } => string.Create(CultureInfo.InvariantCulture, $"Trial {trial.Id} pruned at rung {rung} after {outcome.Epochs:0.###} epochs: score there {outcome.Score:0.0000}, {elapsed.TotalSeconds:0}s"),
            not null when trial.Plan is { LastRound: false } plan => string.Create(CultureInfo.InvariantCulture,
                $"Trial {trial.Id} finished round {plan.Round} of bracket {plan.Bracket} ({outcome.Epochs:0.###} epochs): score {outcome.Score:0.0000} at epoch {outcome.BestEpoch}, {elapsed.TotalSeconds:0}s; paused until promoted or retired"),
            not null => string.Create(CultureInfo.InvariantCulture, $"Trial {trial.Id} done: score {outcome.Score:0.0000} at epoch {outcome.BestEpoch} ({outcome.Epochs:0.###} epochs) in {elapsed.TotalSeconds:0}s"),
            null => $"Trial {trial.Id} failed after {elapsed.TotalSeconds:0}s: {error}",
        });

    public void OnTrialLost(TrialRecord trial, TimeSpan elapsed) =>
        output.WriteLine($"Trial {trial.Id} was taken from this worker after {elapsed.TotalSeconds:0}s (its heartbeat went stale); another worker runs it.");

    private DateTime _lastWait;

    public void OnWaiting(int running)
    {
        if (DateTime.UtcNow - _lastWait < TimeSpan.FromMinutes(1)) return;
        _lastWait = DateTime.UtcNow;
        output.WriteLine($"No trial left to claim; waiting for {running} trial(s) of other workers (a stale one is taken over).");
    }

    public void OnWarning(string message) => output.WriteLine("Warning: " + message);
}
