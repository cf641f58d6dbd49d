using System.IO.Compression;
using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Reporting;
using Mnist.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Tuning;

/// <summary>
/// A trial on MNIST: the network <see cref="ModelBuilder.Configure"/> builds from the trial's
/// hyperparameters, trained with early stopping up to the per-trial epoch cap on the study's
/// share of the training data; the score is the best epoch's validation accuracy (or loss).
/// With a pruner it validates at the pruner's rungs (inside an epoch where a rung falls there)
/// and stops when the pruner says so; a pruned trial's score is its value at that rung. A
/// Hyperband trial trains to its round's epochs and, promoted, continues from the weights,
/// optimiser state, early-stopping state and history it saved at the end of its last round.
/// With <paramref name="tensorBoardDir"/>, each trial logs its hyperparameters and epochs to
/// TensorBoard under <c>trial_N</c> there.
/// </summary>
public sealed class MnistTrialObjective(TrainingData data, TrainingOptions options, StudyDefinition study, Device device,
    Func<ITrainingObserver?>? progress = null, string? tensorBoardDir = null) : ITrialObjective
{
    public TrialOutcome Run(TrialContext context)
    {
        var config = ModelBuilder.Configure(new HyperParameters(context.Trial.Hyperparameters));
        var plan = context.Trial.Plan;
        var trialOptions = plan is null ? options : options with { Epochs = plan.Epochs };
        using var model = ModelBuilder.Build(config, trialOptions.Seed);
        model.to(device);
        var observer = progress?.Invoke();
        if (tensorBoardDir is not null)
        {
            var log = new TensorBoardLog(TensorBoardLog.TrialDir(tensorBoardDir, context.Trial.Id));
            if (plan is not { Round: > 0 }) log.Hyperparameters(context.Trial, study.Space);
            observer = new TensorBoardObserver(log, observer);
        }
        using var trainer = new Trainer(model, config, trialOptions, observer);
        SavedTrial? saved = null;
        if (plan is { FromEpochs: > 0 })
        {
            var bytes = context.LoadState() ?? throw new InvalidDataException(
                $"trial {context.Trial.Id}: promoted to round {plan.Round} of bracket {plan.Bracket}, but the state of its last round was not saved");
            saved = SavedTrial.Read(bytes, $"trial {context.Trial.Id}");
            ModelFile.LoadWeights(model, saved.Weights, $"trial {context.Trial.Id}'s saved state");
            trainer.Optimizer.LoadState(saved.Optimizer, $"trial {context.Trial.Id}'s saved state");
        }
        var checks = context.Rungs.Count == 0 ? null : new IntermediateChecks(context.Rungs,
            (rung, epochs, valLoss, valAccuracy) => context.ShouldPrune(rung, epochs, study.ScoreOf(valLoss, valAccuracy)));
        EpochCheckpoint? last = null;
        var fit = trainer.Fit(data, saved?.State, saved?.History, saved?.BestWeights, onEpoch: c =>
        {
            last = c;
            context.ReportEpoch(c.Record);
        }, ct: context.Cancellation, checks: checks);
        if (plan is { LastRound: false } && last is not null)
        {
            context.SaveState(new SavedTrial(last.Weights, fit.BestWeights, last.OptimizerState(), last.State, last.History.ToList()).ToBytes());
        }
        var best = fit.History.Count == 0 ? null : fit.History.Aggregate((a, b) => study.Better(study.ScoreOf(b), study.ScoreOf(a)) ? b : a);
        if (fit.Pruned is { } pruned)
        {
            return new TrialOutcome(study.ScoreOf(pruned.ValLoss, pruned.ValAccuracy), best?.Epoch ?? 0, pruned.Epochs, pruned.Rung);
        }
        if (best is null) throw new InvalidOperationException($"trial {context.Trial.Id}: trained no epoch");
        return new TrialOutcome(study.ScoreOf(best), best.Epoch, fit.EpochsTrained);
    }

    /// <summary>A trial between Hyperband rounds: the last epoch's weights, the best weights, Adam's state, the loop's state and the history.</summary>
    private sealed record SavedTrial(byte[] Weights, byte[] BestWeights, byte[] Optimizer, TrainerState State, List<EpochRecord> History)
    {
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
            }
            return ms.ToArray();
        }

        public static SavedTrial Read(byte[] bytes, string source)
        {
            try
            {
                using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
                byte[] Entry(string name) => ModelFile.ReadBytes(zip, name, source) ?? throw new InvalidDataException($"{source}: saved state has no {name}");
                string Text(string name) => ModelFile.ReadText(zip, name, source) ?? throw new InvalidDataException($"{source}: saved state has no {name}");
                return new SavedTrial(Entry("weights.bin"), Entry("best.bin"), Entry("optimizer.bin"),
                    Json.Deserialize<TrainerState>(Text("trainer_state.json"), source), Json.Deserialize<List<EpochRecord>>(Text("history.json"), source));
            }
            catch (InvalidDataException e) when (!e.Message.StartsWith(source, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{source}: saved state is not readable ({e.Message})", e);
            }
        }
    }
}
