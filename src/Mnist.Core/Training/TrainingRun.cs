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

    /// <summary>With --resume, a new epoch budget (otherwise the checkpoint's).</summary>
    public int? ResumeEpochs { get; init; }
    public int? Threads { get; init; }
    public string Device { get; init; } = "cpu";

    /// <summary>Where to write TensorBoard event files (scalars per epoch); null for none.</summary>
    public string? TensorBoardDir { get; init; }
}

public sealed record TrainOutcome(string ModelPath, FitResult Fit, EvaluationResult Test, TimeSpan Elapsed);

/// <summary>
/// A whole training run into a run folder: data, model, fit with a checkpoint after every epoch,
/// test evaluation. The folder ends up holding model.ckpt (best weights, self-describing),
/// checkpoint.ckpt (last epoch, optimiser and loop state, for --resume), history.json/.csv,
/// evaluation.json, mistakes.json (the most confident test mistakes, with their pixels) and the
/// run's pictures (<see cref="RunPlots"/>: curves, confusion, mistakes, each .png and .svg).
/// </summary>
public static class TrainingRun
{
    public const string HistoryJson = "history.json";
    public const string HistoryCsvFile = "history.csv";
    public const string EvaluationJson = "evaluation.json";

    public static async Task<TrainOutcome> RunAsync(TrainRequest request, ITrainingObserver? observer = null, TextWriter? log = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        log ??= TextWriter.Null;
        var device = Engine.Configure(request.Threads, request.Device);
        var outDir = Path.GetFullPath(request.OutDir);
        var checkpointPath = Path.Combine(outDir, ModelFile.CheckpointFileName);
        var modelPath = Path.Combine(outDir, ModelFile.DefaultFileName);

        ModelFileContents? resumed = null;
        var config = request.Config;
        var options = request.Options;
        if (request.Resume)
        {
            if (!File.Exists(checkpointPath))
            {
                throw new InvalidOperationException($"{checkpointPath}: not found, so there is nothing to resume; run without --resume to start.");
            }
            resumed = ModelFile.Read(checkpointPath);
            config = resumed.Manifest.Hyperparameters;
            options = resumed.Manifest.Training ?? throw new InvalidDataException($"{checkpointPath}: has no training options");
            if (request.ResumeEpochs is { } e) options = options with { Epochs = e };
            log.WriteLine($"Resuming {outDir} after epoch {resumed.TrainerState?.EpochsDone} of {options.Epochs}.");
        }
        else if (File.Exists(checkpointPath))
        {
            throw new InvalidOperationException($"{outDir} already holds a training run ({ModelFile.CheckpointFileName}); pass --resume to continue it, or choose another --out.");
        }
        options.Validate();
        config.Validate();

        var info = DatasetInfo.ByName(options.Dataset);
        var dataset = await Dataset.LoadOrDownloadAsync(request.DataDir, info, log, ct: ct).ConfigureAwait(false);
        if (resumed is not null) CheckSameData(resumed.Manifest.DataChecksums, dataset.Checksums, checkpointPath);
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
            if (File.Exists(modelPath)) bestWeights = ModelFile.Read(modelPath).Weights;
        }

        ModelManifest Manifest(int epoch, EpochRecord? metrics, TrainerState state) => new()
        {
            Dataset = info.Name,
            ClassNames = info.ClassNames,
            Hyperparameters = config,
            Normalization = data.Normalization,
            Epoch = epoch,
            Best = state.BestEpoch > 0 ? new BestMetric("val_loss", state.BestValue, state.BestEpoch) : null,
            Metrics = metrics,
            DataChecksums = dataset.Checksums,
            Training = options,
            TotalParams = model.parameters().Sum(p => p.numel()),
        };

        void Persist(EpochCheckpoint c)
        {
            Directory.CreateDirectory(outDir);
            if (c.Improved)
            {
                ModelFile.Save(modelPath, new ModelFileContents { Manifest = Manifest(c.Record.Epoch, c.Record, c.State), Weights = c.Weights, History = c.History });
            }
            ModelFile.Save(checkpointPath, new ModelFileContents
            {
                Manifest = Manifest(c.Record.Epoch, c.Record, c.State),
                Weights = c.Weights,
                History = c.History,
                TrainerState = c.State,
                OptimizerState = c.OptimizerState(),
            });
            AtomicFile.WriteAllText(Path.Combine(outDir, HistoryJson), Json.Serialize(c.History));
            AtomicFile.WriteAllText(Path.Combine(outDir, HistoryCsvFile), HistoryCsv.Format(c.History));
        }

        var fit = trainer.Fit(data, resumed?.TrainerState, resumed?.History, bestWeights, Persist, ct);

        var (test, mistakes) = Evaluator.EvaluateWithMistakes(model, dataset.Test, data.Normalization, info.ClassNames, device, options.EvalBatchSize);
        var best = fit.BestEpoch ?? fit.History[^1];
        ModelFile.Save(modelPath, new ModelFileContents
        {
            Manifest = Manifest(best.Epoch, best, fit.State),
            Weights = fit.BestWeights,
            History = fit.History,
            Evaluation = test,
        });
        AtomicFile.WriteAllText(Path.Combine(outDir, EvaluationJson), Json.Serialize(test));
        AtomicFile.WriteAllText(Path.Combine(outDir, MistakeSet.FileName), Json.Serialize(mistakes));
        var pictures = RunPlots.WriteAll(outDir, fit.History, fit.BestEpoch?.Epoch, test, mistakes, info.ClassNames);
        log.WriteLine($"Pictures: {string.Join(", ", pictures.Select(p => p + ".png/.svg"))} in {outDir}");
        return new TrainOutcome(modelPath, fit, test, clock.Elapsed);
    }

    private static void CheckSameData(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual, string checkpoint)
    {
        foreach (var (file, md5) in expected)
        {
            if (!actual.TryGetValue(file, out var found) || found != md5)
            {
                throw new InvalidDataException($"{checkpoint}: was trained on {file} with MD5 {md5}, but the data folder has {found ?? "no such file"}; resume with the same data.");
            }
        }
    }
}
