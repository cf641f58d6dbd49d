using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Mnist.Core.Interchange;
using Mnist.Core.Model;
using Mnist.Core.Training;

namespace Mnist.Core.Inference;

/// <summary>
/// The ONNX Runtime <see cref="IInferenceEngine"/>: the model file's network exported to ONNX
/// in memory (<see cref="OnnxExporter"/>) and run by an <see cref="InferenceSession"/> on the
/// CPU. The graph normalises its input itself, so it takes the same [0, 1] pixels as
/// <see cref="Predictor"/>, and answers the same probabilities (within float rounding).
/// Batches of <see cref="SmallBatch"/> or more use <see cref="Threads"/>. Smaller ones use
/// <see cref="SmallBatchThreads"/>: with more than one thread the engine times one image on a second,
/// one-thread session and on the many-thread one when it loads, and keeps the faster (a small
/// network's single image is fastest on one thread, where splitting it costs more than it saves;
/// a large network's or an ensemble's on all of them: docs/robustness.md). (A session's threads are
/// its own; libtorch's are the process's, which only the host sets.)
/// </summary>
public sealed class OnnxRuntimeEngine : IInferenceEngine
{
    /// <summary>Batches smaller than this run on the one-thread session.</summary>
    public const int SmallBatch = 8;

    /// <summary>Runs of one image each engine times per session when it chooses, after as many warm-ups.</summary>
    public const int ProbeRuns = 15;

    private readonly InferenceSession _session;
    private readonly InferenceSession? _singleThread;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames = [OnnxExporter.InputName];
    private readonly string[] _outputNames = [OnnxExporter.OutputName];
    private readonly int _channels;

    private OnnxRuntimeEngine(byte[] onnxModel, ModelFileContents contents, string path, int threads)
    {
        Contents = contents;
        Path = path;
        Threads = threads;
        _channels = contents.Manifest.Hyperparameters.InputChannels;
        _session = CreateSession(onnxModel, threads, path);
        try
        {
            Check(_session, path);
            if (threads > 1)
            {
                var single = CreateSession(onnxModel, 1, path);
                var probe = new float[_channels * InputSize * InputSize]; // a blank image: the time depends on the shape, not the pixels
                bool keep;
                try
                {
                    keep = FasterOnOneThread(MedianMs(single, probe), MedianMs(_session, probe));
                }
                catch
                {
                    single.Dispose();
                    throw;
                }
                if (keep) _singleThread = single;
                else single.Dispose();
            }
        }
        catch
        {
            _singleThread?.Dispose();
            _session.Dispose();
            _runOptions.Dispose();
            throw;
        }
    }

    public InferenceEngineKind Kind => InferenceEngineKind.Onnx;

    public string Runtime => Describe(Threads, SmallBatchThreads);

    /// <summary>The engine's <see cref="Runtime"/> for its thread counts.</summary>
    public static string Describe(int threads, int smallBatchThreads) => threads == 1
        ? "ONNX Runtime (1 thread)"
        : $"ONNX Runtime ({threads} threads; one drawn digit on {(smallBatchThreads == 1 ? "1 thread" : $"{smallBatchThreads} threads")}, the faster for this network at load)";

    public string Path { get; }
    public ModelFileContents Contents { get; }
    public ModelManifest Manifest => Contents.Manifest;
    public int InputSize => Manifest.Hyperparameters.InputSize;

    /// <summary>ONNX Runtime's intra-op threads for batches of <see cref="SmallBatch"/> or more.</summary>
    public int Threads { get; }

    /// <summary>The threads smaller batches (one drawn digit) run on: 1 or <see cref="Threads"/>, whichever answered one image faster at load.</summary>
    public int SmallBatchThreads => _singleThread is null ? Threads : 1;

    /// <summary>The choice at load, given the median time of one image on one thread and on all of them: one thread unless all are faster.</summary>
    public static bool FasterOnOneThread(double oneThreadMs, double allThreadsMs) => oneThreadMs <= allThreadsMs;

    /// <summary>The model file (or run folder) exported to ONNX in memory and loaded into ONNX Runtime.</summary>
    public static OnnxRuntimeEngine Load(string modelOrRunDir, int threads = 1)
    {
        Infrastructure.SettingException.Check(threads >= 1, "threads", threads, "must be at least 1");
        var path = RunFolder.ModelPathOf(modelOrRunDir);
        var (network, contents) = ModelFile.LoadModel(path); // the file is read once, for the graph and the manifest
        byte[] onnx;
        using (network) onnx = OnnxExporter.Build(network, contents.Manifest, path).ToByteArray();
        return new OnnxRuntimeEngine(onnx, contents, path, threads);
    }

    public Prediction[] Predict(IReadOnlyList<float[]> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) return [];
        var flat = InferenceEngines.Flatten(inputs, InputSize);
        var session = inputs.Count < SmallBatch && _singleThread is not null ? _singleThread : _session;
        using var input = OrtValue.CreateTensorValueFromMemory(flat, [inputs.Count, _channels, InputSize, InputSize]);
        using var outputs = session.Run(_runOptions, _inputNames, [input], _outputNames);
        return InferenceEngines.ToPredictions(outputs[0].GetTensorDataAsSpan<float>(), inputs.Count, Manifest.ClassNames);
    }

    public Prediction Predict(float[] input) => Predict([input])[0];

    public void Dispose()
    {
        _singleThread?.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>The median time of one run of <paramref name="image"/> on <paramref name="session"/>, after as many warm-up runs.</summary>
    private double MedianMs(InferenceSession session, float[] image)
    {
        var times = new double[ProbeRuns];
        for (var i = -ProbeRuns; i < ProbeRuns; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using (var input = OrtValue.CreateTensorValueFromMemory(image, [1, _channels, InputSize, InputSize]))
            using (session.Run(_runOptions, _inputNames, [input], _outputNames)) { }
            if (i >= 0) times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[ProbeRuns / 2];
    }

    private static InferenceSession CreateSession(byte[] onnxModel, int threads, string path)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // ONNX Runtime's idle worker threads spin by default, taking a core from whatever runs
        // next (libtorch, the web server's preprocessing): measured, TorchSharp's batch of 1000
        // timed in turn with ONNX Runtime ran at 3,900 images/s with spinning, 7,200 without.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        try
        {
            return new InferenceSession(onnxModel, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime refused the exported graph ({e.Message})", e);
        }
    }

    /// <summary>The session takes <c>input</c> [N, C, H, W] and answers <c>probabilities</c> [N, classes].</summary>
    private void Check(InferenceSession session, string path)
    {
        var config = Manifest.Hyperparameters;
        if (!session.InputMetadata.TryGetValue(OnnxExporter.InputName, out var input)
            || !input.Dimensions.SequenceEqual([-1, config.InputChannels, config.InputSize, config.InputSize]))
        {
            throw new InvalidDataException($"{path}: the ONNX graph has no input '{OnnxExporter.InputName}' [N, {config.InputChannels}, {config.InputSize}, {config.InputSize}]");
        }
        if (!session.OutputMetadata.TryGetValue(OnnxExporter.OutputName, out var output)
            || !output.Dimensions.SequenceEqual([-1, Manifest.ClassNames.Count]))
        {
            throw new InvalidDataException($"{path}: the ONNX graph has no output '{OnnxExporter.OutputName}' [N, {Manifest.ClassNames.Count}]");
        }
    }
}
