using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mnist.Core.Training;

/// <summary>
/// Adam (Kingma and Ba; PyTorch's form, with Keras's ε = 1e-7). Written here rather than using
/// TorchSharp's because TorchSharp 0.107's optimizers pass temporary <see cref="Scalar"/>s
/// (<c>mul_(beta1)</c>, ...) whose only reference is an <c>IntPtr</c>: the garbage collector
/// may finalise one while libtorch still reads it, and a 5-epoch run here died in
/// <c>Adam.step</c> with "Unknown scalar type" (use after free). Every scalar below is created
/// explicitly and kept alive by a <c>using</c> until the operation that reads it has returned.
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    private const string StateMagic = "mnist-adam-v1";
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;

    public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7)
    {
        _parameters = parameters.ToArray();
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        using var _ = no_grad();
        _expAvg = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _expAvgSq = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public long Steps { get; private set; }

    public void ZeroGrad()
    {
        using var scope = NewDisposeScope();
        foreach (var p in _parameters) p.grad?.zero_();
    }

    public void Step()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Steps++;
        var correction1 = 1 - Math.Pow(Beta1, Steps);
        var correction2 = 1 - Math.Pow(Beta2, Steps);
        using var beta1 = Beta1.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var sqrtCorrection2 = Math.Sqrt(correction2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var negativeStepSize = (-LearningRate / correction1).ToScalar();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var grad = _parameters[i].grad;
            if (grad is null) continue;
            _expAvg[i].mul_(beta1).add_(grad, oneMinusBeta1);
            _expAvgSq[i].mul_(beta2).addcmul_(grad, grad, oneMinusBeta2);
            var denominator = _expAvgSq[i].sqrt().div_(sqrtCorrection2).add_(epsilon);
            _parameters[i].addcdiv_(_expAvg[i], denominator, negativeStepSize);
        }
    }

    /// <summary>The state a resumed run needs: step count, learning rate, and both moment estimates.</summary>
    public byte[] SaveState()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(StateMagic);
            w.Write(Steps);
            w.Write(LearningRate);
            w.Write(_parameters.Length);
            for (var i = 0; i < _parameters.Length; i++)
            {
                _expAvg[i].Save(w);
                _expAvgSq[i].Save(w);
            }
        }
        return ms.ToArray();
    }

    public void LoadState(byte[] state, string source)
    {
        using var r = new BinaryReader(new MemoryStream(state));
        string magic;
        try
        {
            magic = r.ReadString();
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException)
        {
            magic = "";
        }
        if (magic != StateMagic)
        {
            throw new InvalidDataException($"{source}: the optimiser state is not in this program's format ({StateMagic}); it was written by an older build and cannot be resumed. Start a new run, or use its model.ckpt as it is.");
        }
        var steps = r.ReadInt64();
        var lr = r.ReadDouble();
        var count = r.ReadInt32();
        if (count != _parameters.Length)
        {
            throw new InvalidDataException($"{source}: optimiser state has {count} parameters; the model has {_parameters.Length}");
        }
        using var _ = no_grad();
        for (var i = 0; i < count; i++)
        {
            _expAvg[i].Load(r);
            _expAvgSq[i].Load(r);
        }
        Steps = steps;
        LearningRate = lr;
    }

    public void Dispose()
    {
        foreach (var t in _expAvg.Concat(_expAvgSq)) t.Dispose();
    }
}
