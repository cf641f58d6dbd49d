using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Mnist.Core.Training;

namespace Mnist.Core.Interchange;

/// <summary>A network the exporter cannot write as ONNX; the message names the layer.</summary>
public sealed class OnnxExportException : InvalidOperationException
{
    public OnnxExportException() { }
    public OnnxExportException(string message) : base(message) { }
    public OnnxExportException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>What <see cref="OnnxExporter.Export"/> wrote.</summary>
public sealed record OnnxExportResult(string Source, string Output, long IrVersion, int Opset, IReadOnlyList<string> Operators, int Nodes, long Bytes, string InputShape, string OutputShape)
{
    public string ToText() => string.Create(CultureInfo.InvariantCulture,
        $"Exported {Source} to {Output}: ONNX opset {Opset} (IR {IrVersion}), {Nodes} nodes ({string.Join(", ", Operators)}), {Bytes / 1e6:0.0} MB; ") +
        $"input '{OnnxExporter.InputName}' float {InputShape}, pixels in [0, 1] (ink white on black); output '{OnnxExporter.OutputName}' float {OutputShape}.";
}

/// <summary>
/// Writes a model file's network as an ONNX graph of standard operators (opset
/// <see cref="Opset"/>), walking the <see cref="Sequential"/> that <see cref="ModelBuilder"/>
/// builds, layer by layer:
/// <list type="bullet">
/// <item>the model file's normalisation first, as Sub and Div (only where it is not the identity), so
/// that the graph takes pixels in [0, 1] exactly as <c>Predictor.Predict</c> does;</item>
/// <item>Conv2d → Conv with explicit pads (PyTorch's "same": the odd pixel on the bottom/right);
/// MaxPool2x2 → MaxPool kernel 2 stride 2 (floor mode); BatchNorm1d/2d → BatchNormalization with
/// the running statistics (inference form); Flatten → Flatten axis 1; Linear → Gemm transB=1;</item>
/// <item>activations: relu → Relu, selu → Selu (PyTorch's alpha and gamma), elu → Elu, tanh → Tanh,
/// sigmoid → Sigmoid, swish (SiLU) → x·Sigmoid(x), gelu → 0.5·x·(1 + Erf(x/√2)) (opset 17 has no
/// Gelu);</item>
/// <item>Dropout is left out (the identity at inference); the closing log-softmax becomes Softmax
/// axis 1, so the output is the probabilities.</item>
/// </list>
/// Anything else is refused with an error that names the layer. Class names, normalisation,
/// hyperparameters and the source epoch go into the model's metadata_props.
/// </summary>
public static class OnnxExporter
{
    /// <summary>ONNX 1.12's opset, supported by every ONNX Runtime since 1.12 (1.31 here).</summary>
    public const int Opset = 17;

    /// <summary>The IR version that goes with opset 17.</summary>
    public const long IrVersion = 8;

    public const string InputName = "input";
    public const string OutputName = "probabilities";
    public const string BatchDimension = "N";
    public const string ProducerName = "mnist-dotnet";

    /// <summary>metadata_props keys.</summary>
    public const string ClassNamesKey = "class_names";
    public const string NormalizationMeanKey = "normalization_mean";
    public const string NormalizationStdKey = "normalization_std";

    /// <summary>The layer types this exporter writes (TorchSharp module names).</summary>
    public static string SupportedLayers =>
        "Conv2d, MaxPool2x2, BatchNorm1d, BatchNorm2d, Flatten, Linear, Dropout, ReLU, SELU, ELU, GELU, Tanh, Sigmoid, SiLU, and LogSoftmax as the last layer";

    /// <summary>Exports the model file (or run folder) <paramref name="modelOrRunDir"/> to <paramref name="outPath"/> (written atomically).</summary>
    public static OnnxExportResult Export(string modelOrRunDir, string outPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outPath);
        var source = RunFolder.ModelPathOf(modelOrRunDir);
        var model = FromModelFile(source);
        var bytes = model.ToByteArray();
        AtomicFile.Write(outPath, s => s.Write(bytes));
        var operators = model.Graph.Node.Select(n => n.OpType).Distinct().ToList();
        return new OnnxExportResult(source, outPath, model.IrVersion, Opset, operators, model.Graph.Node.Count, bytes.LongLength,
            ShapeText(model.Graph.Input[0]), ShapeText(model.Graph.Output[0]));
    }

    /// <summary>The ONNX model of a model file (or run folder), rebuilt from the file alone.</summary>
    public static ModelProto FromModelFile(string modelOrRunDir)
    {
        var path = RunFolder.ModelPathOf(modelOrRunDir);
        var (network, contents) = ModelFile.LoadModel(path);
        using (network)
        {
            return Build(network, contents.Manifest, path);
        }
    }

    /// <summary>
    /// The ONNX model of <paramref name="network"/> (as <see cref="ModelFile.BuildNetwork"/> makes
    /// it: one network, or an ensemble) with its manifest. An ensemble's members are written one
    /// after the other on the same input, each with its own normalisation and its node names
    /// prefixed by its sub-module's name (<c>member_0/…</c>), and ONNX's Mean averages their
    /// probabilities into the output.
    /// </summary>
    public static ModelProto Build(nn.Module<Tensor, Tensor> network, ModelManifest manifest, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(manifest);
        var config = manifest.Hyperparameters;
        var classes = manifest.ClassNames.Count;
        if (classes != config.Classes)
        {
            throw new OnnxExportException($"{source ?? "model"}: the manifest names {classes} classes but the hyperparameters say {config.Classes}");
        }

        var graph = new GraphBuilder();
        using (no_grad())
        {
            switch (network)
            {
                case Sequential single:
                    Network(graph, single, manifest.Normalization, "", OutputName, source);
                    break;
                case EnsembleNetwork ensemble:
                    var outputs = ensemble.Members.Select((member, i) =>
                    {
                        var prefix = EnsembleNetwork.MemberName(i) + "/";
                        return Network(graph, member, ensemble.Normalizations[i], prefix, prefix + OutputName, source);
                    }).ToList();
                    graph.Node("Mean", "ensemble_mean", outputs, output: OutputName);
                    break;
                default:
                    throw new OnnxExportException($"{source ?? "model"}: a {network.GetType().Name} has no ONNX export; the exporter writes a network of {nameof(ModelBuilder)} or an ensemble of them");
            }
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Domain = "mnist-dotnet",
            ModelVersion = 1,
            DocString = DocString(manifest),
            Graph = graph.Finish(
                $"{manifest.Dataset}_{config.Conv1Filters}_{config.Conv2Filters}",
                TensorInfo(InputName, BatchDimension, config.InputChannels, config.InputSize, config.InputSize),
                TensorInfo(OutputName, BatchDimension, classes)),
        };
        model.Graph.DocString = model.DocString;
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in Metadata(manifest, source))
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
        return model;
    }

    /// <summary>One network's nodes on the graph's input, its normalisation first; returns its output (<paramref name="output"/>, the probabilities).</summary>
    private static string Network(GraphBuilder graph, Sequential network, Normalization normalization, string prefix, string output, string? source)
    {
        var current = InputName;
        if (!normalization.IsIdentity)
        {
            var mean = graph.Scalar(prefix + "normalization.mean", (float)normalization.Mean);
            var std = graph.Scalar(prefix + "normalization.std", (float)normalization.Std);
            current = graph.Node("Sub", prefix + "normalization_sub", [current, mean]);
            current = graph.Node("Div", prefix + "normalization_div", [current, std]);
        }
        var layers = network.named_children().ToList();
        if (layers.Count == 0) throw new OnnxExportException($"{source ?? "model"}: the network has no layers");
        for (var i = 0; i < layers.Count; i++)
        {
            var (name, module) = layers[i];
            current = Layer(graph, prefix + name, module, current, i == layers.Count - 1 ? output : null);
        }
        if (layers[^1].module is not LogSoftmax)
        {
            throw new OnnxExportException(
                $"layer '{layers[^1].name}' ({layers[^1].module.GetType().Name}) ends the network, but the export needs the log-softmax output layer (its Softmax is the '{OutputName}' output)");
        }
        return current;
    }

    /// <summary>Reads the metadata_props of an ONNX model as a dictionary.</summary>
    public static IReadOnlyDictionary<string, string> MetadataOf(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.MetadataProps.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    }

    private static string Layer(GraphBuilder g, string name, nn.Module module, string x, string? output)
    {
        switch (module)
        {
            case Conv2d conv:
                return Conv(g, name, conv, x);
            case MaxPool2x2:
                return g.Node("MaxPool", name, [x], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
            case BatchNorm norm:
                return BatchNormalization(g, name, norm, x);
            case Flatten flatten:
                if (flatten.start_dim != 1 || flatten.end_dim != -1)
                {
                    throw Unsupported(name, module, $"flattens dimensions {flatten.start_dim} to {flatten.end_dim}; only 1 to -1 (ONNX Flatten axis 1) is exported");
                }
                return g.Node("Flatten", name, [x], Int("axis", 1));
            case Linear linear:
                return Gemm(g, name, linear, x);
            case Dropout:
                return x; // the identity at inference
            case ReLU:
                return g.Node("Relu", name, [x]);
            case SELU:
                // PyTorch's constants (the ONNX defaults are the same numbers, rounded to float).
                return g.Node("Selu", name, [x], Float("alpha", 1.6732632423543772f), Float("gamma", 1.0507009873554805f));
            case ELU elu:
                return g.Node("Elu", name, [x], Float("alpha", (float)elu.alpha));
            case Tanh:
                return g.Node("Tanh", name, [x]);
            case Sigmoid:
                return g.Node("Sigmoid", name, [x]);
            case SiLU:
            {
                var sigmoid = g.Node("Sigmoid", name + "_sigmoid", [x]);
                return g.Node("Mul", name, [x, sigmoid]);
            }
            case GELU gelu:
            {
                if (gelu.approximate != GELU.Approximate.none)
                {
                    throw Unsupported(name, module, $"uses the {gelu.approximate} approximation; only the exact GELU (erf) is exported");
                }
                var sqrt2 = g.Scalar(name + ".sqrt2", MathF.Sqrt(2f));
                var one = g.Scalar(name + ".one", 1f);
                var half = g.Scalar(name + ".half", 0.5f);
                var scaled = g.Node("Div", name + "_div", [x, sqrt2]);
                var erf = g.Node("Erf", name + "_erf", [scaled]);
                var plusOne = g.Node("Add", name + "_add", [erf, one]);
                var times = g.Node("Mul", name + "_mul", [x, plusOne]);
                return g.Node("Mul", name, [times, half]);
            }
            case LogSoftmax logSoftmax:
                if (output is null) throw Unsupported(name, module, "is not the last layer; log-softmax is exported only as the output layer (as Softmax: the output is probabilities)");
                if (logSoftmax.dim is not (1 or -1)) throw Unsupported(name, module, $"normalises dimension {logSoftmax.dim}; only the class dimension (1) is exported");
                return g.Node("Softmax", name.EndsWith(ModelBuilder.OutputActivationSuffix, StringComparison.Ordinal)
                    ? name[..^ModelBuilder.OutputActivationSuffix.Length] + "_softmax"
                    : name + "_softmax", [x], output: output, attributes: Int("axis", 1));
            default:
                throw Unsupported(name, module, null);
        }
    }

    private static string Conv(GraphBuilder g, string name, Conv2d conv, string x)
    {
        if (conv.groups != 1) throw Unsupported(name, conv, $"has {conv.groups} groups; only 1 is exported");
        if (conv.padding_mode != PaddingModes.Zeros) throw Unsupported(name, conv, $"pads with {conv.padding_mode}; only zeros is exported");
        var kernel = conv.kernel_size;
        var stride = conv.stride;
        var dilation = conv.dilation;
        long[] pads;
        if (conv.padding_type == Padding.Same)
        {
            if (stride.Any(s => s != 1)) throw Unsupported(name, conv, "uses 'same' padding with a stride other than 1");
            // PyTorch's "same": the total d·(k−1) split with the odd pixel at the end.
            var total = kernel.Select((k, i) => dilation[i] * (k - 1)).ToArray();
            pads = [total[0] / 2, total[1] / 2, total[0] - total[0] / 2, total[1] - total[1] / 2];
        }
        else
        {
            var p = conv.padding ?? [0, 0];
            pads = [p[0], p[1], p[0], p[1]];
        }
        var weight = g.Initializer(name + ".weight", conv.weight);
        var inputs = new List<string> { x, weight };
        if (conv.bias is not null) inputs.Add(g.Initializer(name + ".bias", conv.bias));
        return g.Node("Conv", name, inputs,
            Ints("kernel_shape", kernel), Ints("pads", pads), Ints("strides", stride), Ints("dilations", dilation), Int("group", 1));
    }

    private static string BatchNormalization(GraphBuilder g, string name, BatchNorm norm, string x)
    {
        if (!norm.track_running_stats || norm.running_mean is null || norm.running_var is null)
        {
            throw Unsupported(name, norm, "keeps no running statistics, so its inference form is undefined");
        }
        var features = norm.num_features;
        var scale = norm.affine && norm.weight is not null ? g.Initializer(name + ".weight", norm.weight) : g.Constant(name + ".weight", ones(features));
        var bias = norm.affine && norm.bias is not null ? g.Initializer(name + ".bias", norm.bias) : g.Constant(name + ".bias", zeros(features));
        var mean = g.Initializer(name + ".running_mean", norm.running_mean);
        var variance = g.Initializer(name + ".running_var", norm.running_var);
        return g.Node("BatchNormalization", name, [x, scale, bias, mean, variance], Float("epsilon", (float)norm.eps));
    }

    private static string Gemm(GraphBuilder g, string name, Linear linear, string x)
    {
        var weight = g.Initializer(name + ".weight", linear.weight);
        var inputs = new List<string> { x, weight };
        if (linear.bias is not null) inputs.Add(g.Initializer(name + ".bias", linear.bias));
        return g.Node("Gemm", name, inputs, Float("alpha", 1f), Float("beta", 1f), Int("transB", 1));
    }

    private static OnnxExportException Unsupported(string name, nn.Module module, string? why) =>
        new(why is null
            ? $"layer '{name}' ({module.GetType().Name}) has no ONNX export; the exporter writes {SupportedLayers}"
            : $"layer '{name}' ({module.GetType().Name}) {why}");

    private static string DocString(ModelManifest m)
    {
        var c = m.Hyperparameters;
        if (m.Members is { Count: > 0 } members)
        {
            return FormattableString.Invariant(
                $"{m.Dataset} classifier: an ensemble of {members.Count} networks (the mean of their probabilities), exported by {ProducerName} from its model file; each member normalises the input itself. ") +
                FormattableString.Invariant(
                $"Input '{InputName}': float [N, {c.InputChannels}, {c.InputSize}, {c.InputSize}], pixels in [0, 1], ink white on black, centred by the centre of mass as MNIST's digits are. ") +
                FormattableString.Invariant(
                $"Output '{OutputName}': float [N, {m.ClassNames.Count}], the mean of the members' softmax probabilities of the classes {string.Join(", ", m.ClassNames)} (metadata '{ClassNamesKey}').");
        }
        var normalization = m.Normalization.IsIdentity
            ? "The model takes the pixels as they are (its normalisation is the identity)."
            : FormattableString.Invariant($"The graph normalises them itself: (x - {m.Normalization.Mean:R}) / {m.Normalization.Std:R}.");
        return FormattableString.Invariant(
            $"{m.Dataset} classifier ({c}), epoch {m.Epoch}, exported by {ProducerName} from its model file. ") +
            FormattableString.Invariant(
            $"Input '{InputName}': float [N, {c.InputChannels}, {c.InputSize}, {c.InputSize}], pixels in [0, 1], ink white on black, centred by the centre of mass as MNIST's digits are. ") +
            normalization +
            FormattableString.Invariant(
            $" Output '{OutputName}': float [N, {m.ClassNames.Count}], the softmax probabilities of the classes {string.Join(", ", m.ClassNames)} (metadata '{ClassNamesKey}').");
    }

    private static IEnumerable<(string Key, string Value)> Metadata(ModelManifest m, string? source)
    {
        yield return (ClassNamesKey, Json.Serialize(m.ClassNames, indented: false));
        yield return (NormalizationMeanKey, m.Normalization.Mean.ToString("R", CultureInfo.InvariantCulture));
        yield return (NormalizationStdKey, m.Normalization.Std.ToString("R", CultureInfo.InvariantCulture));
        var inGraph = m.Members is { Count: > 0 } members ? members.Any(x => !x.Normalization.IsIdentity) : !m.Normalization.IsIdentity;
        yield return ("normalization_in_graph", inGraph.ToString().ToLowerInvariant());
        yield return ("input_range", "[0, 1]");
        yield return ("dataset", m.Dataset);
        yield return ("epoch", m.Epoch.ToString(CultureInfo.InvariantCulture));
        yield return ("hyperparameters", Json.Serialize(m.Hyperparameters, indented: false));
        if (m.Members is { Count: > 0 } ensemble)
        {
            yield return ("ensemble_members", ensemble.Count.ToString(CultureInfo.InvariantCulture));
            yield return ("ensemble_averaging", "mean of probabilities");
            yield return ("members", Json.Serialize(ensemble, indented: false));
        }
        if (m.Best is { } best) yield return ("best_" + best.Monitor, best.Value.ToString("R", CultureInfo.InvariantCulture));
        if (source is not null) yield return ("source_model", Path.GetFileName(source));
    }

    private static string ShapeText(ValueInfoProto info) =>
        "[" + string.Join(", ", info.Type.TensorType.Shape.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString(CultureInfo.InvariantCulture))) + "]";

    private static ValueInfoProto TensorInfo(string name, string batch, params int[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    /// <summary>Nodes and initializers, in order; every node's output is named after the node.</summary>
    private sealed class GraphBuilder
    {
        private readonly List<NodeProto> _nodes = [];
        private readonly List<TensorProto> _initializers = [];
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        public string Node(string op, string name, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
            Node(op, name, inputs, null, attributes);

        public string Node(string op, string name, IEnumerable<string> inputs, string? output, params AttributeProto[] attributes)
        {
            var outputName = output ?? name;
            Claim(outputName);
            var node = new NodeProto { OpType = op, Name = name };
            node.Input.Add(inputs);
            node.Output.Add(outputName);
            node.Attribute.Add(attributes);
            _nodes.Add(node);
            return outputName;
        }

        /// <summary>A float initializer holding the tensor's values (float32, row-major).</summary>
        public string Initializer(string name, Tensor tensor)
        {
            using var scope = NewDisposeScope();
            var values = tensor.detach().to(ScalarType.Float32, CPU).contiguous();
            return Add(name, values.shape, values.data<float>().ToArray());
        }

        /// <summary>An initializer from a tensor made for the purpose (disposed here).</summary>
        public string Constant(string name, Tensor tensor)
        {
            using (tensor) return Initializer(name, tensor);
        }

        public string Scalar(string name, float value) => Add(name, [], [value]);

        private string Add(string name, long[] dims, float[] values)
        {
            Claim(name);
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            t.Dims.Add(dims);
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian; this exporter runs on little-endian machines only");
            t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
            _initializers.Add(t);
            return name;
        }

        private void Claim(string name)
        {
            if (name == InputName || !_names.Add(name)) throw new OnnxExportException($"the graph would have two tensors named '{name}' (a layer name repeated?)");
        }

        public GraphProto Finish(string name, ValueInfoProto input, ValueInfoProto output)
        {
            var graph = new GraphProto { Name = name };
            graph.Node.Add(_nodes);
            graph.Initializer.Add(_initializers);
            graph.Input.Add(input);
            graph.Output.Add(output);
            return graph;
        }
    }
}
