using System.Diagnostics;
using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Model;
using Mnist.Core.Tuning;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mnist.Core.Training;

/// <summary>What a training loop tells the outside world; every method is optional.</summary>
public interface ITrainingObserver
{
    void OnEpochBegin(int epoch, int epochs, int batches) { }
    void OnBatchEnd(int batch, int batches, double loss, double accuracy) { }
    void OnEpochEnd(EpochRecord record, bool improved, TrainerState state) { }
    void OnInfo(string message) { }
}

/// <summary>
/// The end of an epoch, handed to whoever persists it, before the next epoch starts: its record,
/// the loop's state, the history, this epoch's weights and the best epoch's (the same array when
/// this epoch is the best), and Adam's state on demand.
/// </summary>
public sealed record EpochCheckpoint(
    EpochRecord Record,
    bool Improved,
    TrainerState State,
    IReadOnlyList<EpochRecord> History,
    byte[] Weights,
    byte[] BestWeights,
    Func<byte[]> OptimizerState);

/// <summary>
/// Validation at given points of training, for a pruner: after <see cref="AtEpochs"/> epochs' worth of
/// training images (fractions fall inside an epoch, between batches), <see cref="ShouldStop"/> gets
/// the rung's index, the epochs trained and the validation loss and accuracy there, and says whether
/// training stops (the trial is pruned).
/// </summary>
public sealed record IntermediateChecks(IReadOnlyList<double> AtEpochs, Func<int, double, double, double, bool> ShouldStop);

/// <summary>Where a pruner stopped a training run: the rung and the epochs trained (fractional inside an epoch).</summary>
public sealed record PrunedAt(int Rung, double Epochs, double ValLoss, double ValAccuracy);

public sealed record FitResult(IReadOnlyList<EpochRecord> History, TrainerState State, byte[] BestWeights, PrunedAt? Pruned = null)
{
    /// <summary>Epochs trained: whole epochs, or where the pruner stopped inside one.</summary>
    public double EpochsTrained => Pruned?.Epochs ?? History.Count;

    public EpochRecord? BestEpoch => State.BestIn(History);
}

/// <summary>
/// Keras's <c>model.fit</c> for one network: Adam (<see cref="AdamOptimizer"/>), shuffled mini-batches, augmentation on the
/// whole batch, categorical cross-entropy on one-hot targets, validation after each epoch,
/// early stopping on the monitored metric (validation loss or accuracy) that restores the best
/// weights, optional ReduceLROnPlateau on the same metric. Each epoch is a pure function of (weights, optimiser state, seed, epoch):
/// shuffling, augmentation and dropout draw from generators seeded by the run's seed and the
/// epoch number, so a resumed run reaches the same state as an uninterrupted one.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly Sequential _model;
    private readonly TrainingOptions _options;
    private readonly ITrainingObserver _observer;

    public Trainer(Sequential model, ModelConfig config, TrainingOptions options, ITrainingObserver? observer = null)
    {
        options.Validate();
        _model = model;
        _options = options;
        _observer = observer ?? new NullObserver();
        Optimizer = new AdamOptimizer(model.parameters(), config.LearningRate);
        _earlyStopping = new EarlyStopping(options.Patience, options.MinDelta) { Monitor = Objective.Of(options.Monitor) };
        _plateau = options.LrSchedule == LrSchedule.Plateau ? new ReduceLrOnPlateau(options.ReduceLrPatience, options.ReduceLrFactor, options.MinLearningRate) : null;
        _oneCycle = options.LrSchedule == LrSchedule.OneCycle ? new OneCycleSchedule(config.LearningRate) : null;
    }

    private readonly EarlyStopping _earlyStopping;
    private readonly ReduceLrOnPlateau? _plateau;
    private readonly OneCycleSchedule? _oneCycle;

    public AdamOptimizer Optimizer { get; }

    public static ulong SeedFor(int seed, int epoch, int stream)
    {
        // SplitMix64 of (seed, epoch, stream): independent, reproducible streams.
        var z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)epoch * 0xBF58476D1CE4E5B9UL + (ulong)stream * 0x94D049BB133111EBUL + 0x632BE59BD9B4E019UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (z ^ (z >> 31)) & 0x7FFF_FFFF_FFFF_FFFFUL;
    }

    /// <summary>
    /// Trains from <paramref name="start"/> (epochs already done, early-stopping state) until the
    /// epoch budget is spent or early stopping fires, then restores the best weights.
    /// <paramref name="onEpoch"/> persists each epoch before the next begins; cancellation is
    /// honoured between batches (the current epoch is then lost, nothing before it).
    /// </summary>
    public FitResult Fit(
        TrainingData data,
        TrainerState? start = null,
        IReadOnlyList<EpochRecord>? history = null,
        byte[]? bestWeights = null,
        Action<EpochCheckpoint>? onEpoch = null,
        CancellationToken ct = default,
        IntermediateChecks? checks = null)
    {
        var state = start ?? TrainerState.Initial(Optimizer.LearningRate, _earlyStopping.Unset);
        var records = new List<EpochRecord>(history ?? []);
        SetLearningRate(state.LearningRate);
        var (batchSize, batches) = Batches(data.TrainCount);
        var rungs = new RungCursor(checks, state.EpochsDone);
        PrunedAt? pruned = null;

        for (var epoch = state.EpochsDone + 1; epoch <= _options.Epochs && !state.Stopped; epoch++)
        {
            ct.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            _observer.OnEpochBegin(epoch, _options.Epochs, batches);
            var (loss, accuracy, prunedInside) = TrainEpoch(data, epoch, batchSize, batches, ct, rungs);
            if (prunedInside is not null)
            {
                pruned = prunedInside;
                break;
            }
            var (valLoss, valAccuracy, _) = Evaluator.Run(_model, data.ValX, data.ValY, data.Normalization, _options.EvalBatchSize);
            var record = new EpochRecord(epoch, loss, accuracy, valLoss, valAccuracy, state.LearningRate, clock.Elapsed.TotalSeconds);
            records.Add(record);

            var monitored = _earlyStopping.Monitor.ScoreOf(valLoss, valAccuracy);
            var improved = _earlyStopping.Improves(monitored, state.BestValue);
            var weights = ModelFile.SerializeWeights(_model);
            if (improved) bestWeights = weights;
            state = NextState(state, epoch, valLoss, monitored, improved);
            onEpoch?.Invoke(new EpochCheckpoint(record, improved, state, records, weights, bestWeights ?? weights, Optimizer.SaveState));
            _observer.OnEpochEnd(record, improved, state);
            if (rungs.Due(epoch) is { } rung && rungs.Decide(rung, epoch, valLoss, valAccuracy))
            {
                pruned = new PrunedAt(rung, epoch, valLoss, valAccuracy);
                break;
            }
            if (state.Stopped && state.EpochsDone < _options.Epochs)
            {
                _observer.OnInfo($"Early stopping: no improvement of {_earlyStopping.Monitor.Name} for {_options.Patience} epochs; restoring the weights of epoch {state.BestEpoch}.");
            }
        }

        if (pruned is not null)
        {
            _observer.OnInfo($"Pruned at rung {pruned.Rung} after {pruned.Epochs:0.###} epochs (val_loss {pruned.ValLoss:0.####}, val_accuracy {pruned.ValAccuracy:0.####}).");
        }
        if (bestWeights is not null) ModelFile.LoadWeights(_model, bestWeights, "best weights");
        return new FitResult(records, state, bestWeights ?? ModelFile.SerializeWeights(_model), pruned);
    }

    /// <summary>The next rung to report at, and the decisions so far (several rungs may fall due at one point).</summary>
    private sealed class RungCursor(IntermediateChecks? checks, int epochsDone)
    {
        private int _next = checks?.AtEpochs.TakeWhile(r => r <= epochsDone + 1e-9).Count() ?? 0;

        /// <summary>The first rung not yet reported whose resource is reached at <paramref name="epochs"/>, or null.</summary>
        public int? Due(double epochs) =>
            checks is not null && _next < checks.AtEpochs.Count && checks.AtEpochs[_next] <= epochs + 1e-9 ? _next : null;

        /// <summary>Reports at every rung due at <paramref name="epochs"/>; true when one of them says stop.</summary>
        public bool Decide(int rung, double epochs, double valLoss, double valAccuracy)
        {
            for (var r = rung; Due(epochs) == r; r++)
            {
                _next = r + 1;
                if (checks!.ShouldStop(r, epochs, valLoss, valAccuracy)) return true;
            }
            return false;
        }
    }

    private TrainerState NextState(TrainerState state, int epoch, double valLoss, double monitored, bool improved)
    {
        var (wait, stopped) = _earlyStopping.Next(state.Wait, improved, valLoss);
        // One-cycle: the rate its last step set (the plateau's wait is counted, unused, as it always was).
        var (lrWait, lr) = (improved ? 0 : state.LrWait + 1, Optimizer.LearningRate);
        if (_plateau is not null)
        {
            (lrWait, lr) = _plateau.Next(state.LrWait, improved, state.LearningRate);
            if (lr != state.LearningRate)
            {
                _observer.OnInfo($"ReduceLROnPlateau: learning rate reduced to {lr:G4}.");
                SetLearningRate(lr);
            }
        }
        return new TrainerState(
            epoch,
            improved ? monitored : state.BestValue,
            improved ? epoch : state.BestEpoch,
            wait,
            lrWait,
            stopped,
            lr);
    }

    /// <summary>
    /// One epoch of training on <paramref name="data"/> (shuffled, augmented, one optimiser step per
    /// batch) without validation: the building block of <see cref="Fit"/>, and what the benchmark times.
    /// </summary>
    public (double Loss, double Accuracy) TrainEpoch(TrainingData data, int epoch, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (batchSize, batches) = Batches(data.TrainCount);
        var (loss, accuracy, _) = TrainEpoch(data, epoch, batchSize, batches, ct, new RungCursor(null, 0));
        return (loss, accuracy);
    }

    private (long Size, int Count) Batches(long n)
    {
        var batchSize = Math.Min(_options.BatchSize, n);
        return (batchSize, (int)(n / batchSize) + (n % batchSize >= 2 ? 1 : 0)); // a last batch of one image would break BatchNorm
    }

    private (double Loss, double Accuracy, PrunedAt? Pruned) TrainEpoch(TrainingData data, int epoch, long batchSize, int batches, CancellationToken ct, RungCursor rungs)
    {
        _model.train();
        torch.manual_seed((long)SeedFor(_options.Seed, epoch, 1)); // dropout
        using var generator = new Generator(SeedFor(_options.Seed, epoch, 2));
        using var perm = randperm(data.TrainCount, generator: generator);
        using var permOnDevice = perm.device == data.TrainX.device ? null : perm.to(data.TrainX.device);
        var order = permOnDevice ?? perm;
        double lossSum = 0;
        long correct = 0, seen = 0;
        for (var b = 0; b < batches; b++)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var start = b * batchSize;
            var len = Math.Min(batchSize, data.TrainCount - start);
            var idx = order.narrow(0, start, len);
            var x = data.TrainX.index_select(0, idx);
            var y = data.TrainY.index_select(0, idx);
            if (_oneCycle is not null) SetLearningRate(_oneCycle.At((epoch - 1L) * batches + b, (long)_options.Epochs * batches));
            x = Augmentation.Apply(x, _options.Augmentation, generator);
            x = Preprocessing.Normalize(x, data.Normalization);
            var logProbs = _model.forward(x);
            var target = Preprocessing.OneHot(y, data.Classes, _options.LabelSmoothing);
            var loss = -(target * logProbs).sum(1).mean();
            Optimizer.ZeroGrad();
            loss.backward();
            Optimizer.Step();
            lossSum += loss.item<float>() * len;
            correct += logProbs.argmax(1).eq(y).sum().item<long>();
            seen += len;
            _observer.OnBatchEnd(b + 1, batches, lossSum / seen, (double)correct / seen);
            // A rung inside the epoch: validate here (the epoch's last batch leaves it to the epoch's own validation).
            var epochs = epoch - 1 + (double)seen / data.TrainCount;
            if (b < batches - 1 && rungs.Due(epochs) is { } rung)
            {
                var (valLoss, valAccuracy, _) = Evaluator.Run(_model, data.ValX, data.ValY, data.Normalization, _options.EvalBatchSize); // back in train mode after
                if (rungs.Decide(rung, epochs, valLoss, valAccuracy)) return (lossSum / seen, (double)correct / seen, new PrunedAt(rung, epochs, valLoss, valAccuracy));
            }
        }
        return (lossSum / seen, (double)correct / seen, null);
    }

    private void SetLearningRate(double lr) => Optimizer.LearningRate = lr;

    public void Dispose() => Optimizer.Dispose();

    private sealed class NullObserver : ITrainingObserver;
}
