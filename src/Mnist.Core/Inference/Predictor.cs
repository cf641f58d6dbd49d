using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Mnist.Core.Training;

namespace Mnist.Core.Inference;

/// <summary>
/// A prediction, the one contract of <c>mnist predict --json</c> and <c>POST /api/predict</c>: the
/// class index (<c>digit</c>, an integer), its name (<c>label</c>: "7" on MNIST, "Ankle boot" on
/// Fashion-MNIST), its probability (<c>confidence</c>) and the probabilities of all classes. The
/// CLI adds <c>file</c>, the web adds <c>input</c> (docs/api.md).
/// </summary>
public sealed record Prediction(
    [property: JsonPropertyName("digit"), JsonPropertyOrder(0)] int Index,
    [property: JsonPropertyOrder(1)] string Label,
    [property: JsonPropertyOrder(3)] float[] Probabilities)
{
    [JsonPropertyOrder(2)]
    public float Confidence => Probabilities[Index];

    /// <summary>The prediction as a JSON object (the model files' snake_case), for a caller to add its own fields to.</summary>
    public JsonObject ToJson() => JsonSerializer.SerializeToNode(this, Json.Compact)!.AsObject();
}

/// <summary>
/// A model rebuilt from its file, ready for inference. TorchSharp does not promise that one
/// module may run forward on several threads at once, so calls are serialised by a lock; the
/// input path is the shared <see cref="Preprocessing"/> and <see cref="ImagePreprocessor"/>.
/// The TorchSharp <see cref="IInferenceEngine"/>.
/// </summary>
public sealed class Predictor : IInferenceEngine
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Lock _gate = new();
    private readonly Device _device;

    private Predictor(nn.Module<Tensor, Tensor> model, ModelFileContents contents, Device device, string path)
    {
        _model = model;
        Contents = contents;
        _device = device;
        Path = path;
    }

    public InferenceEngineKind Kind => InferenceEngineKind.Torch;

    /// <summary>TorchSharp; its threads are the process's (<see cref="Infrastructure.Engine.Configure"/>).</summary>
    public string Runtime => "TorchSharp";

    /// <summary>The model file this predictor was loaded from.</summary>
    public string Path { get; }
    public ModelFileContents Contents { get; }
    public ModelManifest Manifest => Contents.Manifest;
    public int InputSize => Manifest.Hyperparameters.InputSize;

    public static Predictor Load(string modelOrRunDir, Device? device = null)
    {
        var path = RunFolder.ModelPathOf(modelOrRunDir);
        device ??= CPU;
        var (model, contents) = ModelFile.LoadModel(path, device);
        return new Predictor(model, contents, device, path);
    }

    /// <summary>Predicts preprocessed inputs (each InputSize² floats in [0, 1]).</summary>
    public Prediction[] Predict(IReadOnlyList<float[]> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) return [];
        var flat = InferenceEngines.Flatten(inputs, InputSize);
        float[] probabilities;
        lock (_gate)
        {
            // libtorch's thread count is the process's, set by the host (serve: one thread, which
            // single images run fastest on); a library call never changes it.
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var x = Preprocessing.Normalize(Preprocessing.ToUnitTensor(flat, inputs.Count, InputSize, InputSize, _device), Manifest.Normalization);
            probabilities = _model.forward(x).exp().cpu().data<float>().ToArray();
        }
        return InferenceEngines.ToPredictions(probabilities, inputs.Count, Manifest.ClassNames);
    }

    public Prediction Predict(float[] input) => Predict([input])[0];

    /// <summary>Preprocesses an encoded image (PNG, JPEG) and predicts it; returns the model input too.</summary>
    public (Prediction Prediction, float[] Input) PredictImage(byte[] encoded, ImageLimits? limits = null)
    {
        var input = ImagePreprocessor.FromEncoded(encoded, limits);
        return (Predict(input), input);
    }

    public void Dispose() => _model.Dispose();
}
