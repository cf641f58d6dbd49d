using Mnist.Core.Infrastructure;
using Mnist.Core.Model;

namespace Mnist.Core.Inference;

/// <summary>Which runtime runs the forward passes, by its name (<see cref="Choice"/>): <c>torch</c> or <c>onnx</c>.</summary>
public enum InferenceEngineKind
{
    /// <summary>TorchSharp (libtorch): the network rebuilt from the model file (<see cref="Predictor"/>).</summary>
    Torch,

    /// <summary>ONNX Runtime: the network exported to ONNX from the model file (<see cref="OnnxRuntimeEngine"/>).</summary>
    Onnx,
}

/// <summary>
/// A model ready for inference, whichever runtime runs it: preprocessed inputs (each InputSize²
/// floats in [0, 1]) in, predictions out. Both engines read the same model file, so the manifest
/// (class names, normalisation, the model card) is the same.
/// </summary>
public interface IInferenceEngine : IDisposable
{
    /// <summary>Which runtime this is (its name, <see cref="Choice.Name"/>, is what <c>/healthz</c> says).</summary>
    InferenceEngineKind Kind { get; }

    /// <summary>How the forward passes run, in words (the runtime and, for ONNX Runtime, the threads it chose at load): what <c>serve</c> says when it starts.</summary>
    string Runtime { get; }

    /// <summary>How many fixed variants of each input a prediction averages over besides the input itself (<see cref="TestTimeAugmentation"/>); 0 for none.</summary>
    int TestTimeVariants => 0;

    /// <summary>The model file the engine was loaded from.</summary>
    string Path { get; }
    ModelFileContents Contents { get; }
    ModelManifest Manifest { get; }
    int InputSize { get; }

    /// <summary>Predicts preprocessed inputs (each InputSize² floats in [0, 1]).</summary>
    Prediction[] Predict(IReadOnlyList<float[]> inputs);
}

/// <summary>Loads either engine by kind, and the parts both share.</summary>
public static class InferenceEngines
{
    /// <summary>
    /// The model file (or run folder) ready on <paramref name="kind"/>. For ONNX Runtime the
    /// network is exported in memory at load; <paramref name="onnxThreads"/> is its intra-op
    /// thread count (libtorch's is process-wide: <see cref="Engine.Configure"/>).
    /// </summary>
    public static IInferenceEngine Load(InferenceEngineKind kind, string modelOrRunDir, int onnxThreads = 1) => kind switch
    {
        InferenceEngineKind.Torch => Predictor.Load(modelOrRunDir),
        InferenceEngineKind.Onnx => OnnxRuntimeEngine.Load(modelOrRunDir, onnxThreads),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, Choice.Expected<InferenceEngineKind>()),
    };

    /// <summary>The inputs as one row-major batch [N, InputSize²], each checked for its length.</summary>
    internal static float[] Flatten(IReadOnlyList<float[]> inputs, int inputSize)
    {
        var pixels = inputSize * inputSize;
        var flat = new float[inputs.Count * pixels];
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Length != pixels) throw new ArgumentException($"input {i} has {inputs[i].Length} values; the model takes {pixels}");
            inputs[i].CopyTo(flat, i * pixels);
        }
        return flat;
    }

    /// <summary>Predictions from row-major probabilities [count, classes]: the most probable class of each row.</summary>
    internal static Prediction[] ToPredictions(ReadOnlySpan<float> probabilities, int count, IReadOnlyList<string> classNames)
    {
        var classes = classNames.Count;
        if (probabilities.Length != count * classes)
        {
            throw new InvalidOperationException($"the model answered {probabilities.Length} values for {count} inputs of {classes} classes");
        }
        var result = new Prediction[count];
        for (var i = 0; i < count; i++)
        {
            var p = probabilities.Slice(i * classes, classes).ToArray();
            var best = 0;
            for (var c = 1; c < classes; c++) if (p[c] > p[best]) best = c;
            result[i] = new Prediction(best, classNames[best], p);
        }
        return result;
    }
}
