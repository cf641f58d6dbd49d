using Mnist.Core.Data;
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
/// and stops when the pruner says so; a pruned trial's score is its value at that rung.
/// With <paramref name="tensorBoardDir"/>, each trial logs its hyperparameters and epochs to
/// TensorBoard under <c>trial_N</c> there.
/// </summary>
public sealed class MnistTrialObjective(TrainingData data, TrainingOptions options, StudyDefinition study, Device device,
    Func<ITrainingObserver?>? progress = null, string? tensorBoardDir = null) : ITrialObjective
{
    public TrialOutcome Run(TrialContext context)
    {
        var config = ModelBuilder.Configure(new HyperParameters(context.Trial.Hyperparameters));
        using var model = ModelBuilder.Build(config, options.Seed);
        model.to(device);
        var observer = progress?.Invoke();
        if (tensorBoardDir is not null)
        {
            var log = new TensorBoardLog(TensorBoardLog.TrialDir(tensorBoardDir, context.Trial.Id));
            log.Hyperparameters(context.Trial, study.Space);
            observer = new TensorBoardObserver(log, observer);
        }
        using var trainer = new Trainer(model, config, options, observer);
        var checks = context.Rungs.Count == 0 ? null : new IntermediateChecks(context.Rungs,
            (rung, epochs, valLoss, valAccuracy) => context.ShouldPrune(rung, epochs, study.ScoreOf(valLoss, valAccuracy)));
        var fit = trainer.Fit(data, onEpoch: c => context.ReportEpoch(c.Record), ct: context.Cancellation, checks: checks);
        if (fit.Pruned is { } pruned)
        {
            var best = fit.History.Count == 0 ? null : fit.History.Aggregate((a, b) => study.Better(study.ScoreOf(b), study.ScoreOf(a)) ? b : a);
            return new TrialOutcome(study.ScoreOf(pruned.ValLoss, pruned.ValAccuracy), best?.Epoch ?? 0, pruned.Epochs, pruned.Rung);
        }
        var bestEpoch = fit.History.Aggregate((a, b) => study.Better(study.ScoreOf(b), study.ScoreOf(a)) ? b : a);
        return new TrialOutcome(study.ScoreOf(bestEpoch), bestEpoch.Epoch, fit.EpochsTrained);
    }
}
