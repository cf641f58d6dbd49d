using System.Globalization;
using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mnist.Core.Model;

/// <summary>
/// One row of the summary: a layer with its activation folded in, as Keras shows it, and the
/// multiply-adds its weights cost one image (torchinfo's mult-adds: a convolution's kernel at every
/// output position, a dense layer's matrix once; 0 for layers without a weight matrix or kernel).
/// </summary>
public sealed record LayerSummary(string Name, string Type, string? Activation, long[] OutputShape, long Params, long Buffers, long MultAdds = 0);

/// <summary>Keras's <c>model.summary()</c> for a built network: output shapes come from a real forward pass.</summary>
public sealed record ModelSummary(
    IReadOnlyList<LayerSummary> Layers,
    long TotalParams,
    long TrainableParams,
    long NonTrainableParams,
    long NonTrainableBuffers,
    long[] InputShape)
{
    /// <summary>The multiply-adds of one image's forward pass through the convolutions and dense layers (what dominates its time on a CPU).</summary>
    public long TotalMultAdds => Layers.Sum(l => l.MultAdds);

    /// <summary>Builds the network for <paramref name="config"/> and describes it.</summary>
    public static ModelSummary For(ModelConfig config)
    {
        using var model = ModelBuilder.Build(config);
        return Describe(model, config);
    }

    public static ModelSummary Describe(Sequential model, ModelConfig config)
    {
        var rows = new List<LayerSummary>();
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var x = zeros(1, config.InputChannels, config.InputSize, config.InputSize);
            foreach (var (name, module) in model.named_children())
            {
                x = ((nn.Module<Tensor, Tensor>)module).forward(x);
                var shape = x.shape.Skip(1).ToArray();
                var previous = rows.Count > 0 ? rows[^1] : null;
                if (previous is not null && name.StartsWith(previous.Name + "_", StringComparison.Ordinal) && !module.parameters().Any())
                {
                    rows[^1] = previous with { Activation = name[(previous.Name.Length + 1)..], OutputShape = shape };
                    continue;
                }
                var parameters = module.parameters().Sum(p => p.numel());
                var buffers = module.named_buffers().Where(b => b.buffer.is_floating_point()).Sum(b => b.buffer.numel());
                rows.Add(new LayerSummary(name, module.GetType().Name, null, shape, parameters, buffers, MultAdds(module, shape)));
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        var all = model.parameters().ToList();
        var trainable = all.Where(p => p.requires_grad).Sum(p => p.numel());
        return new ModelSummary(
            rows,
            all.Sum(p => p.numel()),
            trainable,
            all.Sum(p => p.numel()) - trainable,
            rows.Sum(r => r.Buffers),
            [config.InputChannels, config.InputSize, config.InputSize]);
    }

    /// <summary>A kernel (4-D weight) at each output position, or a matrix (2-D weight) once; nothing for other layers.</summary>
    private static long MultAdds(nn.Module module, long[] outputShape)
    {
        var weight = module.named_parameters().Where(p => p.name == "weight").Select(p => p.parameter).FirstOrDefault();
        return weight?.dim() switch
        {
            4 when outputShape.Length == 3 => weight.numel() * outputShape[1] * outputShape[2],
            2 => weight.numel(),
            _ => 0,
        };
    }

    /// <summary>The table as Keras prints it (shapes are channels-first, as TorchSharp computes them).</summary>
    public string ToText()
    {
        static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        static string Shape(long[] s) => "(None, " + string.Join(", ", s) + ")";
        var header = ("Layer (type)", "Output Shape", "Param #");
        var cells = Layers.Select(l => (
            $"{l.Name} ({l.Type}{(l.Activation is null ? "" : ", " + l.Activation)})",
            Shape(l.OutputShape),
            N(l.Params) + (l.Buffers > 0 ? $" (+{N(l.Buffers)} buffers)" : ""))).ToList();
        var w1 = Math.Max(header.Item1.Length, cells.Max(c => c.Item1.Length)) + 2;
        var w2 = Math.Max(header.Item2.Length, cells.Max(c => c.Item2.Length)) + 2;
        var w3 = Math.Max(header.Item3.Length, cells.Max(c => c.Item3.Length));
        var width = w1 + w2 + w3;
        var sb = new StringBuilder();
        sb.AppendLine($"Model: \"sequential\"   input {Shape(InputShape)}, channels first");
        sb.AppendLine(new string('_', width));
        sb.AppendLine(header.Item1.PadRight(w1) + header.Item2.PadRight(w2) + header.Item3.PadLeft(w3));
        sb.AppendLine(new string('=', width));
        for (var i = 0; i < cells.Count; i++)
        {
            sb.AppendLine(cells[i].Item1.PadRight(w1) + cells[i].Item2.PadRight(w2) + cells[i].Item3.PadLeft(w3));
            sb.AppendLine(new string(i == cells.Count - 1 ? '=' : '_', width));
        }
        sb.AppendLine($"Total params: {N(TotalParams)} ({TotalParams * 4 / 1024.0 / 1024.0:0.00} MB)");
        sb.AppendLine($"Trainable params: {N(TrainableParams)}");
        sb.AppendLine($"Non-trainable params: {N(NonTrainableParams)}");
        sb.AppendLine($"Non-trainable buffers (BatchNorm running mean and variance): {N(NonTrainableBuffers)}");
        sb.AppendLine($"  (Keras counts these buffers as non-trainable params: its total would be {N(TotalParams + NonTrainableBuffers)})");
        sb.AppendLine($"Multiply-adds per image (convolutions and dense layers): {N(TotalMultAdds)} ({TotalMultAdds / 1e6:0.0} M)");
        return sb.ToString();
    }
}
