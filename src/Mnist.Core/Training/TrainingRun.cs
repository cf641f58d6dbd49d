using System.Diagnostics;
using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Reporting;
using TorchSharp;

namespace Mnist.Core.Training;

/// <summary>What <c>mnist train</c> asks for.</summary>
public sealed record TrainRequest
{
    public required string OutDir { get; init; }
    public string? DataDir { get; init; }
    public ModelConfig Config { get; init; } = ModelConfig.Seed;
    public TrainingOptions Options { get; init; } = new();
    public bool Resume { get; init; }

    /// <summary>
    /// Without <see cref="Resume"/>: a run to continue rather than start from scratch (a tuning
    /// trial's end), trained with these options but a smaller epoch budget; null to start afresh.
    /// </summary>
    public TrainingSnapshot? ContinueFrom { get; init; }

    /// <summary>What <see cref="ContinueFrom"/> is, for messages ("trial 3 of study 'study'").</summary>
    public string ContinueFromName { get; init; } = "the saved run";

    /// <summary>With --resume, a new epoch budget (otherwise the checkpoint's).</summary>
    public int? ResumeEpochs { get; init; }
    public int? Threads { get; init; }
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;

    /// <summary>Where to write TensorBoard event files (scalars per epoch); null for none.</summary>
    public string? TensorBoardDir { get; init; }
}

public sealed record TrainOutcome(string ModelPath, FitResult Fit, EvaluationResult Test, TimeSpan Elapsed, ContinuedRun? ContinuedFrom = null);

/// <summary>
/// A whole training run into a run folder (<see cref="RunFolder"/>: its layout): data, model, fit
/// with a checkpoint after every epoch, test evaluation, then the folder's exports (model file,
/// history, evaluation, the most confident test mistakes, the pictures).
/// </summary>
public static class TrainingRun
{
    public static async Task<TrainOutcome> RunAsync(TrainRequest request, ITrainingObserver? observer = null, TextWriter? log = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        log ??= TextWriter.Null;
        var device = Engine.Configure(request.Threads, request.Device);
        var folder = new RunFolder(request.OutDir);
        var outDir = folder.Path;
        var checkpointPath = folder.CheckpointPath;

        ModelFileContents? resumed = null;
        var config = request.Config;
        var options = request.Options;
        if (request.Resume)
        {
            if (!folder.HasCheckpoint)
            {
                throw new InvalidOperationException($"{checkpointPath}: not found, so there is nothing to resume; start the run afresh instead.");
            }
            resumed = folder.ReadCheckpoint();
            config = resumed.Manifest.Hyperparameters;
            options = resumed.Manifest.Training ?? throw new InvalidDataException($"{checkpointPath}: has no training options");
            if (request.ResumeEpochs is { } e) options = options with { Epochs = e };
            log.WriteLine($"Resuming {outDir} after epoch {resumed.TrainerState?.EpochsDone} of {options.Epochs}.");
        }
        else if (folder.HasCheckpoint)
        {
            throw new InvalidOperationException($"{outDir} already holds a training run ({RunFolder.CheckpointFileName}); resume it to continue, or choose another folder.");
        }
        options.Validate();
        config.Validate();
        var continued = resumed is null ? request.ContinueFrom : null;
        if (continued?.CannotContinueAs(options) is { } why)
        {
            throw new InvalidOperationException($"{request.ContinueFromName}: cannot be continued with these training options: {why}.");
        }
        var continuation = resumed?.Manifest.ContinuedFrom ?? (continued is null ? null : new ContinuedRun(request.ContinueFromName, continued.State.EpochsDone));

        var info = DatasetInfo.ByName(options.Dataset);
        var dataset = await Dataset.LoadOrDownloadAsync(request.DataDir, info, log, ct: ct).ConfigureAwait(false);
        if (resumed is not null) CheckSameData(resumed.Manifest.DataChecksums, dataset.Checksums, checkpointPath);
        if (continued is not null) CheckSameData(continued.DataChecksums!, dataset.Checksums, request.ContinueFromName);
        using var data = TrainingData.Create(dataset.Train, options, info.ClassNames.Count, device);
        log.WriteLine($"Data: {dataset.Directory}: {data.TrainCount} training, {data.ValidationCount} validation, {dataset.Test.Count} test images.");

        using var model = ModelBuilder.Build(config, options.Seed);
        model.to(device);
        if (request.TensorBoardDir is { } tensorBoard)
        {
            observer = new TensorBoardObserver(new TensorBoardLog(tensorBoard), observer);
            log.WriteLine($"TensorBoard: {Path.GetFullPath(tensorBoard)}");
        }
        using var trainer = new Trainer(model, config, options, observer);
        byte[]? bestWeights = null;
        if (resumed is not null)
        {
            ModelFile.LoadWeights(model, resumed.Weights, checkpointPath);
            if (resumed.OptimizerState is { } opt) trainer.Optimizer.LoadState(opt, checkpointPath);
            bestWeights = folder.BestWeightsOf(resumed);
        }
        else if (continued is not null)
        {
            ModelFile.LoadWeights(model, continued.Weights, request.ContinueFromName);
            trainer.Optimizer.LoadState(continued.Optimizer, request.ContinueFromName);
            bestWeights = continued.BestWeights;
        }

        ModelManifest Manifest(int epoch, EpochRecord? metrics, TrainerState state) => new()
        {
            Dataset = info.Name,
            ClassNames = info.ClassNames,
            Hyperparameters = config,
            Normalization = data.Normalization,
            Epoch = epoch,
            Best = state.BestEpoch > 0 ? new BestMetric(Tuning.Objective.Of(options.Monitor).Name, state.BestValue, state.BestEpoch) : null,
            Metrics = metrics,
            DataChecksums = dataset.Checksums,
            Training = options,
            ContinuedFrom = continuation,
            TotalParams = model.parameters().Sum(p => p.numel()),
        };

        // The checkpoint is the run's single source while it trains: one write per epoch.
        void Persist(EpochCheckpoint c) => folder.SaveCheckpoint(new ModelFileContents
        {
            Manifest = Manifest(c.Record.Epoch, c.Record, c.State),
            Weights = c.Weights,
            BestWeights = c.BestWeights,
            History = c.History,
            TrainerState = c.State,
            OptimizerState = c.OptimizerState(),
        });

        if (continued is { History.Count: > 0 })
        {
            // The run folder holds the continued run from the start, so that an interruption resumes it like any other.
            Persist(new EpochCheckpoint(continued.History[^1], false, continued.State, continued.History, continued.Weights,
                continued.State.BestEpoch == continued.State.EpochsDone ? continued.Weights : continued.BestWeights, () => continued.Optimizer));
            log.WriteLine($"Continuing {request.ContinueFromName} after its epoch {continued.State.EpochsDone} (best epoch {continued.State.BestEpoch}) rather than repeating it.");
        }
        var fit = trainer.Fit(data, resumed?.TrainerState ?? continued?.State, resumed?.History ?? continued?.History, bestWeights, Persist, ct);

        var (test, mistakes) = Evaluator.EvaluateWithMistakes(model, dataset.Test, data.Normalization, info.ClassNames, device, options.EvalBatchSize);
        var best = fit.BestEpoch ?? fit.History[^1];
        var pictures = folder.Export(new ModelFileContents
        {
            Manifest = Manifest(best.Epoch, best, fit.State),
            Weights = fit.BestWeights,
            History = fit.History,
            Evaluation = test,
        }, mistakes);
        log.WriteLine($"Pictures: {string.Join(", ", pictures.Select(p => p + ".png/.svg"))} in {outDir}");
        return new TrainOutcome(folder.ModelPath, fit, test, clock.Elapsed, continuation);
    }

    private static void CheckSameData(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual, string checkpoint)
    {
        foreach (var (file, md5) in expected)
        {
            if (!actual.TryGetValue(file, out var found) || found != md5)
            {
                throw new InvalidDataException($"{checkpoint}: was trained on {file} with MD5 {md5}, but the data folder has {found ?? "no such file"}; use the same data.");
            }
        }
    }
}
