using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Mnist.Core.Data;
using Mnist.Core.Inference;
using Mnist.Core.Interchange;
using Mnist.Core.Model;
using Mnist.Core.Training;
using Mnist.Testing;
using Onnx;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mnist.Core.Tests.Interchange;

/// <summary>
/// The ONNX export, checked by running the exported file in ONNX Runtime beside TorchSharp on real
/// MNIST test images. The models are trained for one short epoch (the product's own
/// <see cref="Trainer"/>, a few hundred images) so that weights and BatchNorm's running statistics
/// are a real training's, and standardised so that the graph's own normalisation is exercised.
/// </summary>
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private const float Tolerance = 1e-4f;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Trains <paramref name="config"/> one epoch on the first <paramref name="images"/> training images and saves it as a model file.</summary>
    private string TrainedModelFile(string name, ModelConfig config, int images, bool standardize = true)
    {
        var options = new TrainingOptions { Epochs = 1, TrainLimit = images, Seed = 7, Standardize = standardize };
        using var data = TrainingData.Create(TestData.Mnist.Train, options, DatasetInfo.Mnist.ClassNames.Count, CPU);
        using var model = ModelBuilder.Build(config, seed: 7);
        using (var trainer = new Trainer(model, config, options)) trainer.TrainEpoch(data, 1);
        var path = _dir.File(name);
        ModelFile.Save(path, new ModelFileContents
        {
            Manifest = new ModelManifest
            {
                Dataset = DatasetInfo.Mnist.Name,
                ClassNames = DatasetInfo.Mnist.ClassNames,
                Hyperparameters = config,
                Normalization = data.Normalization,
                DataChecksums = new Dictionary<string, string>(),
                Epoch = 1,
            },
            Weights = ModelFile.SerializeWeights(model),
        });
        return path;
    }

    /// <summary>Runs an ONNX file in a plain ONNX Runtime session: probabilities [N, classes], row-major.</summary>
    private static float[] RunOnnx(string onnxPath, float[][] inputs, int classes)
    {
        using var session = new InferenceSession(onnxPath);
        using var run = new RunOptions();
        var flat = inputs.SelectMany(i => i).ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(flat, [inputs.Length, 1, 28, 28]);
        using var results = session.Run(run, [OnnxExporter.InputName], [input], [OnnxExporter.OutputName]);
        var shape = results[0].GetTensorTypeAndShape().Shape;
        Assert.Equal(new long[] { inputs.Length, classes }, shape);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>The largest difference between TorchSharp's and ONNX Runtime's probabilities, after checking that every argmax agrees.</summary>
    private static float CompareWithTorch(string modelPath, string onnxPath, float[][] inputs)
    {
        using var predictor = Predictor.Load(modelPath);
        var torchPredictions = predictor.Predict(inputs);
        var onnx = RunOnnx(onnxPath, inputs, 10);
        var maxDiff = 0f;
        for (var i = 0; i < inputs.Length; i++)
        {
            var row = onnx.AsSpan(i * 10, 10);
            var best = 0;
            for (var c = 0; c < 10; c++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(row[c] - torchPredictions[i].Probabilities[c]));
                if (row[c] > row[best]) best = c;
            }
            Assert.True(torchPredictions[i].Index == best, $"image {i}: TorchSharp says {torchPredictions[i].Index}, ONNX Runtime {best}");
        }
        return maxDiff;
    }

    [Fact]
    public void Given_a_trained_seed_model_file_When_exported_and_run_by_onnx_runtime_on_256_test_images_Then_the_probabilities_match_torchsharp_within_1e_4()
    {
        var model = TrainedModelFile("seed.ckpt", ModelConfig.Seed, images: 1000);
        var onnxPath = _dir.File("seed.onnx");

        var result = OnnxExporter.Export(model, onnxPath);

        var maxDiff = CompareWithTorch(model, onnxPath, TestData.TestInputs(256));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.ToText()}\nmax |p_onnx - p_torch| over 256 test images x 10 classes: {maxDiff:E2}"));
        Assert.True(maxDiff < Tolerance, $"max abs difference {maxDiff}");
        Assert.Equal(new FileInfo(onnxPath).Length, result.Bytes);
    }

    [Fact]
    public void Given_an_ensemble_of_two_trained_models_with_their_own_normalisations_When_exported_and_run_by_onnx_runtime_Then_the_probabilities_match_torchsharp_within_1e_4()
    {
        var a = TrainedModelFile("a.ckpt", ModelConfig.Seed, images: 600);
        var b = TrainedModelFile("b.ckpt", ModelConfig.Seed with { Conv1Filters = 48 }, images: 300, standardize: false);
        var ensemble = _dir.File("ensemble.ckpt");
        ModelFile.Save(ensemble, Core.Jobs.EnsembleRun.Combine([a, b]));
        var onnxPath = _dir.File("ensemble.onnx");

        var result = OnnxExporter.Export(ensemble, onnxPath);

        var maxDiff = CompareWithTorch(ensemble, onnxPath, TestData.TestInputs(128));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.ToText()}\nmax |p_onnx - p_torch| over 128 test images x 10 classes: {maxDiff:E2}"));
        Assert.True(maxDiff < Tolerance, $"max abs difference {maxDiff}");
        Assert.Contains("Mean", result.Operators);
        Assert.Equal("2", OnnxExporter.MetadataOf(ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath)))["ensemble_members"]);
    }

    [Fact]
    public void Given_an_exported_seed_model_When_its_graph_is_read_Then_it_takes_pixels_and_answers_probabilities_with_standard_operators_and_says_so_in_its_metadata()
    {
        var model = TrainedModelFile("seed.ckpt", ModelConfig.Seed, images: 300);
        var onnxPath = _dir.File("seed.onnx");
        OnnxExporter.Export(model, onnxPath);

        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath));

        Assert.Equal((OnnxExporter.IrVersion, OnnxExporter.Opset), (proto.IrVersion, (int)proto.OpsetImport.Single(o => o.Domain.Length == 0).Version));
        var graph = proto.Graph;
        var input = Assert.Single(graph.Input);
        Assert.Equal("input", input.Name);
        Assert.Equal(["N", "1", "28", "28"], input.Type.TensorType.Shape.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString(CultureInfo.InvariantCulture)));
        var outputInfo = Assert.Single(graph.Output);
        Assert.Equal("probabilities", outputInfo.Name);
        Assert.Equal(["N", "10"], outputInfo.Type.TensorType.Shape.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString(CultureInfo.InvariantCulture)));
        Assert.Equal(
            ["Sub", "Div", "Conv", "Relu", "MaxPool", "BatchNormalization", "Conv", "Relu", "MaxPool", "BatchNormalization", "Flatten", "Gemm", "Selu", "BatchNormalization", "Gemm", "Softmax"],
            graph.Node.Select(n => n.OpType));
        Assert.Equal(new long[] { 1, 1, 1, 1 }, graph.Node.First(n => n.OpType == "Conv").Attribute.Single(a => a.Name == "pads").Ints);
        Assert.Equal(1, graph.Node.First(n => n.OpType == "Gemm").Attribute.Single(a => a.Name == "transB").I);
        Assert.Equal(1e-3f, graph.Node.First(n => n.OpType == "BatchNormalization").Attribute.Single(a => a.Name == "epsilon").F);
        Assert.Equal(825_162 + 704 + 2, graph.Initializer.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b)));

        var metadata = OnnxExporter.MetadataOf(proto);
        Assert.Equal("[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]", metadata[OnnxExporter.ClassNamesKey]);
        var manifest = ModelFile.Read(model).Manifest;
        Assert.Equal(manifest.Normalization.Mean, double.Parse(metadata[OnnxExporter.NormalizationMeanKey], CultureInfo.InvariantCulture));
        Assert.Equal(manifest.Normalization.Std, double.Parse(metadata[OnnxExporter.NormalizationStdKey], CultureInfo.InvariantCulture));
        Assert.Contains("pixels in [0, 1]", proto.DocString, StringComparison.Ordinal);
        Assert.Contains("normalises them itself", proto.Graph.DocString, StringComparison.Ordinal);

        // The same metadata as ONNX Runtime reads it.
        using var session = new InferenceSession(onnxPath);
        Assert.Equal(metadata[OnnxExporter.ClassNamesKey], session.ModelMetadata.CustomMetadataMap[OnnxExporter.ClassNamesKey]);
    }

    [Theory]
    [InlineData("elu")]
    [InlineData("gelu")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    [InlineData("swish")]
    public void Given_a_network_with_another_activation_and_two_dense_layers_When_exported_Then_onnx_runtime_matches_torchsharp(string activation)
    {
        var config = ModelConfig.Seed with
        {
            Conv1Filters = 16,
            Conv2Filters = 32,
            ConvActivation = activation,
            Dense = [new DenseLayerConfig(64, activation, 0.3), new DenseLayerConfig(32, "selu", 0.1)],
        };
        var model = TrainedModelFile(activation + ".ckpt", config, images: 400, standardize: activation != "tanh");
        var onnxPath = _dir.File(activation + ".onnx");

        OnnxExporter.Export(model, onnxPath);

        var maxDiff = CompareWithTorch(model, onnxPath, TestData.TestInputs(128));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{activation}: max abs difference {maxDiff:E2}"));
        Assert.True(maxDiff < Tolerance, $"{activation}: max abs difference {maxDiff}");
    }

    [Fact]
    public void Given_a_network_with_two_conv_layers_per_block_When_exported_Then_onnx_runtime_matches_torchsharp_and_the_graph_has_four_convolutions()
    {
        var config = ModelConfig.Seed with { Conv1Filters = 16, Conv2Filters = 32, ConvLayersPerBlock = 2, Dense = [new DenseLayerConfig(64)] };
        var model = TrainedModelFile("deep.ckpt", config, images: 400);
        var onnxPath = _dir.File("deep.onnx");

        var result = OnnxExporter.Export(model, onnxPath);

        var maxDiff = CompareWithTorch(model, onnxPath, TestData.TestInputs(128));
        Assert.True(maxDiff < Tolerance, $"max abs difference {maxDiff}");
        Assert.Equal(4, ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath)).Graph.Node.Count(n => n.OpType == "Conv"));
        Assert.Contains("Conv", result.Operators);
    }

    [Fact]
    public void Given_a_model_with_unit_range_normalisation_When_exported_Then_the_graph_starts_at_the_first_convolution()
    {
        var model = TrainedModelFile("plain.ckpt", ModelConfig.Seed, images: 300, standardize: false);

        var proto = OnnxExporter.FromModelFile(model);

        Assert.Equal("Conv", proto.Graph.Node[0].OpType);
        Assert.Equal("input", proto.Graph.Node[0].Input[0]);
        Assert.Equal("false", OnnxExporter.MetadataOf(proto)["normalization_in_graph"]);
    }

    [Fact]
    public void Given_a_network_with_a_layer_the_exporter_does_not_know_When_exported_Then_the_error_names_the_layer_and_its_type()
    {
        using var network = nn.Sequential(
            ("conv2d_1", nn.Conv2d(1, 4, 3, padding: Padding.Same)),
            ("layer_norm_1", nn.LayerNorm([4, 28, 28])),
            ("flatten", nn.Flatten()),
            ("dense_1", nn.Linear(4 * 28 * 28, 10)),
            ("dense_1_log_softmax", nn.LogSoftmax(1)));
        var manifest = SeedModelFile.Manifest();

        var error = Assert.Throws<OnnxExportException>(() => OnnxExporter.Build(network, manifest));

        Assert.Contains("'layer_norm_1' (LayerNorm)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Conv2d", error.Message, StringComparison.Ordinal); // and what is supported
    }

    [Fact]
    public void Given_a_network_that_does_not_end_in_log_softmax_When_exported_Then_the_error_names_the_last_layer()
    {
        using var network = nn.Sequential(("flatten", nn.Flatten()), ("dense_1", nn.Linear(784, 10)));
        var manifest = SeedModelFile.Manifest();

        var error = Assert.Throws<OnnxExportException>(() => OnnxExporter.Build(network, manifest));

        Assert.Contains("'dense_1' (Linear)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_missing_model_file_When_exported_Then_the_error_names_the_path_and_nothing_is_written()
    {
        var onnxPath = _dir.File("none.onnx");

        var error = Assert.Throws<FileNotFoundException>(() => OnnxExporter.Export(_dir.File("missing.ckpt"), onnxPath));

        Assert.Contains("missing.ckpt", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(onnxPath));
    }

    [Fact]
    public void Given_one_thread_When_the_onnx_engine_loads_Then_small_batches_run_on_that_one_thread_without_a_second_session()
    {
        var model = TrainedModelFile(RunFolder.ModelFileName, ModelConfig.Seed, images: 100);
        using var engine = OnnxRuntimeEngine.Load(model, threads: 1);
        Assert.Equal(1, engine.SmallBatchThreads);
        Assert.Equal(1, engine.Threads);
    }

    [Fact]
    public async Task Given_the_onnx_engine_behind_the_inference_queue_When_queried_singly_and_in_batches_Then_it_answers_as_the_torch_engine()
    {
        var model = TrainedModelFile(RunFolder.ModelFileName, ModelConfig.Seed, images: 300);
        using var torchEngine = Predictor.Load(model);
        using var onnxEngine = OnnxRuntimeEngine.Load(_dir.Path, threads: 2); // the run folder; two threads: small batches on whichever of one or two answered faster at load
        using var queue = new InferenceQueue(onnxEngine);
        var inputs = TestData.TestInputs(100);
        var expected = torchEngine.Predict(inputs);

        var single = onnxEngine.Predict(inputs[0]);
        var batch = onnxEngine.Predict(inputs);
        var queued = await Task.WhenAll(inputs.Select(input => Task.Run(() => queue.PredictAsync(input))));

        Assert.Equal(InferenceEngineKind.Onnx, onnxEngine.Kind);
        Assert.Contains(onnxEngine.SmallBatchThreads, new[] { 1, 2 });
        Assert.Equal(OnnxRuntimeEngine.Describe(2, onnxEngine.SmallBatchThreads), onnxEngine.Runtime);
        Assert.Equal(expected[0].Index, single.Index);
        foreach (var answers in new[] { batch, queued })
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                Assert.Equal(expected[i].Label, answers[i].Label);
                Assert.Equal(expected[i].Probabilities, answers[i].Probabilities, (a, b) => Math.Abs(a - b) < Tolerance);
            }
        }
    }
}
