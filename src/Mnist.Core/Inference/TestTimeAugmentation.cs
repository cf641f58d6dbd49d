using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Inference;

/// <summary>One fixed variant of an image: a rotation (degrees, counter-clockwise), a shift in pixels (x right, y down) and a zoom.</summary>
public sealed record TtaVariant(double RotationDegrees, double ShiftX, double ShiftY, double Zoom);

/// <summary>
/// Test-time augmentation: a prediction is the mean of the probabilities of the image and of N
/// small, fixed variants of it (<see cref="Variants"/>: one-pixel shifts, then slight rotations
/// and zooms), drawn with the training's own affine transform. N = 0 is the plain prediction.
/// The same two steps (<see cref="Expand"/>, <see cref="MeanOfProbabilities"/>) serve a network
/// (<see cref="Network"/>: <c>mnist evaluate</c>) and any inference engine (<see cref="Engine"/>:
/// <c>mnist predict</c>, <c>mnist serve</c>, TorchSharp or ONNX Runtime alike).
/// </summary>
public static class TestTimeAugmentation
{
    /// <summary>The variants in the order N takes them.</summary>
    public static IReadOnlyList<TtaVariant> Variants { get; } =
    [
        new(0, 1, 0, 1), new(0, -1, 0, 1), new(0, 0, 1, 1), new(0, 0, -1, 1),
        new(6, 0, 0, 1), new(-6, 0, 0, 1), new(0, 0, 0, 1.08), new(0, 0, 0, 0.93),
    ];

    /// <summary>Checks N against the variants there are; the error names the setting <c>tta</c>.</summary>
    public static void Check(int variants) =>
        SettingException.Check(variants >= 0 && variants <= Variants.Count, "tta", variants, $"must be in [0, {Variants.Count}] (the fixed variants there are)");

    /// <summary>
    /// A batch [B, C, H, W] of pixels in [0, 1] followed by its first <paramref name="variants"/>
    /// variants: [(N + 1)·B, C, H, W], variant v of image i at row v·B + i. With N = 0, the batch itself.
    /// </summary>
    public static Tensor Expand(Tensor batch, int variants)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Check(variants);
        if (variants == 0) return batch;
        using var scope = NewDisposeScope();
        var b = batch.shape[0];
        var (h, w) = (batch.shape[2], batch.shape[3]);
        var chosen = Variants.Take(variants).ToList();
        // Each argument of the transform is one value per image: variant v's, repeated B times.
        Tensor PerImage(Func<TtaVariant, double> value) =>
            tensor(chosen.SelectMany(v => Enumerable.Repeat((float)value(v), (int)b)).ToArray(), ScalarType.Float32, batch.device);
        var repeated = batch.repeat(variants, 1, 1, 1);
        var transformed = Augmentation.Transform(repeated,
            PerImage(v => v.RotationDegrees * Math.PI / 180), PerImage(v => v.Zoom), PerImage(v => v.Zoom),
            PerImage(v => v.ShiftX / w), PerImage(v => v.ShiftY / h));
        return cat([batch, transformed], 0).MoveToOuterDisposeScope();
    }

    /// <summary>Log-probabilities [(N + 1)·B, K] of <see cref="Expand"/>'s rows as the log of each image's mean probability over its N + 1 rows: [B, K].</summary>
    public static Tensor MeanOfProbabilities(Tensor logProbabilities, int variants)
    {
        ArgumentNullException.ThrowIfNull(logProbabilities);
        if (variants == 0) return logProbabilities;
        using var scope = NewDisposeScope();
        var rows = logProbabilities.shape[0];
        if (rows % (variants + 1) != 0) throw new ArgumentException($"{rows} rows are not {variants + 1} variants of one batch", nameof(logProbabilities));
        using var count = Math.Log(variants + 1).ToScalar();
        var grouped = logProbabilities.reshape(variants + 1, rows / (variants + 1), logProbabilities.shape[1]);
        return grouped.logsumexp(0).sub_(count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A network that takes pixels in [0, 1], applies the model file's <paramref name="normalization"/>
    /// and answers the log of the mean probability over the image and its first N variants.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Network(nn.Module<Tensor, Tensor> network, Normalization normalization, int variants)
    {
        ArgumentNullException.ThrowIfNull(network);
        Check(variants);
        return new AugmentedNetwork(network, normalization, variants);
    }

    /// <summary>An engine whose every prediction is the mean over the input and its first N variants; N = 0 returns <paramref name="engine"/> itself.</summary>
    public static IInferenceEngine Engine(IInferenceEngine engine, int variants)
    {
        ArgumentNullException.ThrowIfNull(engine);
        Check(variants);
        return variants == 0 ? engine : new AugmentedEngine(engine, variants);
    }

    private sealed class AugmentedNetwork : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _inner;
        private readonly Normalization _normalization;
        private readonly int _variants;

        public AugmentedNetwork(nn.Module<Tensor, Tensor> inner, Normalization normalization, int variants) : base("tta")
        {
            _inner = inner;
            _normalization = normalization;
            _variants = variants;
            register_module("network", inner);
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var logProbabilities = _inner.forward(Preprocessing.Normalize(Expand(input, _variants), _normalization));
            return MeanOfProbabilities(logProbabilities, _variants).MoveToOuterDisposeScope();
        }
    }

    private sealed class AugmentedEngine(IInferenceEngine inner, int variants) : IInferenceEngine
    {
        public InferenceEngineKind Kind => inner.Kind;
        public string Runtime => $"{inner.Runtime}, each image averaged with {variants} shifted or rotated copies";
        public string Path => inner.Path;
        public ModelFileContents Contents => inner.Contents;
        public ModelManifest Manifest => inner.Manifest;
        public int InputSize => inner.InputSize;
        public int TestTimeVariants => variants;

        public Prediction[] Predict(IReadOnlyList<float[]> inputs)
        {
            ArgumentNullException.ThrowIfNull(inputs);
            if (inputs.Count == 0) return [];
            var pixels = InputSize * InputSize;
            float[] expanded;
            using (var scope = NewDisposeScope())
            {
                var x = Preprocessing.ToUnitTensor(InferenceEngines.Flatten(inputs, InputSize), inputs.Count, InputSize, InputSize);
                expanded = Expand(x, variants).contiguous().data<float>().ToArray();
            }
            var rows = Enumerable.Range(0, inputs.Count * (variants + 1)).Select(r => expanded.AsSpan(r * pixels, pixels).ToArray()).ToList();
            var answers = inner.Predict(rows);
            var classes = Manifest.ClassNames.Count;
            var mean = new float[inputs.Count * classes];
            for (var v = 0; v <= variants; v++)
            {
                for (var i = 0; i < inputs.Count; i++)
                {
                    var p = answers[v * inputs.Count + i].Probabilities;
                    for (var c = 0; c < classes; c++) mean[i * classes + c] += p[c] / (variants + 1);
                }
            }
            return InferenceEngines.ToPredictions(mean, inputs.Count, Manifest.ClassNames);
        }

        public void Dispose() => inner.Dispose();
    }
}
