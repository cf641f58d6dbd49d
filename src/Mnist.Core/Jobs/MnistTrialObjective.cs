using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Reporting;
using Mnist.Core.Training;
using Mnist.Core.Tuning;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Jobs;

/// <summary>
/// A trial on MNIST: the network <see cref="ModelBuilder.Configure"/> builds from the trial's
/// hyperparameters, trained with early stopping up to the per-trial epoch cap on the study's
/// share of the training data; the score is the best epoch's validation accuracy (or loss).
/// With a pruner it validates at the pruner's rungs (inside an epoch where a rung falls there)
/// and stops when the pruner says so; a pruned trial's score is its value at that rung. A
/// Hyperband trial trains to its round's epochs and, promoted, continues from the weights,
/// optimiser state, early-stopping state and history it saved at the end of its last round.
/// A trial that runs to its end saves the same state (<see cref="TrainingSnapshot"/>, with the
/// options and <paramref name="dataChecksums"/>): the store keeps the best completed trial's, from
/// which the pipeline's final training continues rather than repeat the trial's epochs.
/// With <paramref name="tensorBoardDir"/>, each trial logs its hyperparameters and epochs to
/// TensorBoard under <c>trial_N</c> there.
/// </summary>
public sealed class MnistTrialObjective(TrainingData data, TrainingOptions options, StudyDefinition study, Device device,
    Func<ITrainingObserver?>? progress = null, string? tensorBoardDir = null, IReadOnlyDictionary<string, string>? dataChecksums = null) : ITrialObjective
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
        TrainingSnapshot? saved = null;
        if (plan is { FromEpochs: > 0 })
        {
            var bytes = context.LoadState() ?? throw new InvalidDataException(
                $"trial {context.Trial.Id}: promoted to round {plan.Round} of bracket {plan.Bracket}, but the state of its last round was not saved");
            saved = TrainingSnapshot.Read(bytes, $"trial {context.Trial.Id}");
            ModelFile.LoadWeights(model, saved.Weights, $"trial {context.Trial.Id}'s saved state");
            trainer.Optimizer.LoadState(saved.Optimizer, $"trial {context.Trial.Id}'s saved state");
        }
        var checks = context.Rungs.Count == 0 ? null : new IntermediateChecks(context.Rungs,
            (rung, epochs, valLoss, valAccuracy) => context.ShouldPrune(rung, epochs, study.Goal.ScoreOf(valLoss, valAccuracy)));
        EpochCheckpoint? last = null;
        var fit = trainer.Fit(data, saved?.State, saved?.History, saved?.BestWeights, onEpoch: c =>
        {
            last = c;
            context.ReportEpoch(c.Record);
        }, ct: context.Cancellation, checks: checks);
        if (fit.Pruned is null && last is not null)
        {
            // The next round's start (Hyperband), or the final training's (the best trial's, which the store keeps).
            context.SaveState(new TrainingSnapshot(last.Weights, fit.BestWeights, last.OptimizerState(), last.State, last.History.ToList())
            {
                Options = trialOptions,
                DataChecksums = dataChecksums,
            }.ToBytes());
        }
        var best = study.Goal.BestEpoch(fit.History);
        if (fit.Pruned is { } pruned)
        {
            return new TrialOutcome(study.Goal.ScoreOf(pruned.ValLoss, pruned.ValAccuracy), best?.Epoch ?? 0, pruned.Epochs, pruned.Rung);
        }
        if (best is null) throw new InvalidOperationException($"trial {context.Trial.Id}: trained no epoch");
        return new TrialOutcome(study.Goal.ScoreOf(best), best.Epoch, fit.EpochsTrained);
    }
}
