using System.Threading.Channels;

namespace Mnist.Core.Inference;

/// <summary>
/// Serves many concurrent callers with one model, on either engine (<see cref="IInferenceEngine"/>):
/// every forward pass runs on one dedicated thread (TorchSharp's dispose scopes and no_grad are per
/// thread, and it does not promise that a module may run forward on several threads at once; ONNX
/// Runtime's sessions may run concurrently, but one queue keeps the batching and the threads the
/// same for both), and inputs that arrive while a pass is
/// running are batched into the next one. No caller waits for a batch to fill: a pass starts as
/// soon as the thread is free, with whatever has arrived, up to <see cref="MaxBatch"/>. Whatever
/// a pass throws goes to the callers of that batch; the thread goes on serving the next ones.
/// </summary>
public sealed class InferenceQueue : IDisposable
{
    public const int MaxBatch = 64;

    private readonly IInferenceEngine _engine;
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _worker;

    public InferenceQueue(IInferenceEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        _worker = new Thread(Work) { IsBackground = true, Name = "mnist-inference" };
        _worker.Start();
    }

    /// <summary>Forward passes run so far, and the inputs they carried (for the batch size actually reached).</summary>
    public long Passes { get; private set; }
    public long Inputs { get; private set; }

    /// <summary>Predicts one preprocessed input (InputSize² floats in [0, 1]).</summary>
    public Task<Prediction> PredictAsync(float[] input, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var pixels = _engine.InputSize * _engine.InputSize;
        if (input.Length != pixels) throw new ArgumentException($"the input has {input.Length} values; the model takes {pixels}", nameof(input));
        var request = new Request(input, new TaskCompletionSource<Prediction>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_requests.Writer.TryWrite(request)) throw new ObjectDisposedException(nameof(InferenceQueue));
        return request.Result.Task.WaitAsync(cancellation);
    }

    private void Work()
    {
        var batch = new List<Request>(MaxBatch);
        var reader = _requests.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var r)) batch.Add(r);
            if (batch.Count == 0) continue;
            try
            {
                var predictions = _engine.Predict(batch.Select(r => r.Input).ToArray());
                Passes++;
                Inputs += batch.Count;
                for (var i = 0; i < batch.Count; i++) batch[i].Result.TrySetResult(predictions[i]);
            }
#pragma warning disable CA1031 // Whatever a forward pass throws belongs to its callers: the thread lives on for the next requests.
            catch (Exception e)
#pragma warning restore CA1031
            {
                foreach (var r in batch) r.Result.TrySetException(e);
            }
        }
    }

    public void Dispose()
    {
        _requests.Writer.TryComplete();
        _worker.Join();
    }

    private sealed record Request(float[] Input, TaskCompletionSource<Prediction> Result);
}
