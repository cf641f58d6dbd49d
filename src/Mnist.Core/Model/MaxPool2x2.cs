using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Model;

/// <summary>
/// 2x2 max pooling with stride 2 (floor mode: an odd last row or column is dropped), giving the
/// same values and the same gradients as <c>nn.MaxPool2d(2)</c>, bit for bit, built from
/// element-wise operations that libtorch vectorises. libtorch 2.10's own CPU pooling kernel for
/// this layout is many times slower, forward and backward (bench/results.md, *What was made
/// faster*). Without gradients (evaluation, serving) it is the forward alone.
/// </summary>
public sealed class MaxPool2x2 : nn.Module<Tensor, Tensor>
{
    public MaxPool2x2() : base(nameof(MaxPool2x2)) { }

    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4) throw new ArgumentException($"MaxPool2x2 takes [N, C, H, W] input; got {input.dim()} dimensions", nameof(input));
        return is_grad_enabled() && input.requires_grad ? MaxPool2x2Function.apply(input) : MaxPool2x2Function.Pool(input);
    }
}

/// <summary>The autograd function behind <see cref="MaxPool2x2"/>.</summary>
internal sealed class MaxPool2x2Function : autograd.SingleTensorFunction<MaxPool2x2Function>
{
    public override string Name => nameof(MaxPool2x2Function);

    /// <summary>The pooled values: the maximum of the four strided quarter views.</summary>
    public static Tensor Pool(Tensor x)
    {
        using var scope = NewDisposeScope();
        var windows = Windows(x);
        var rows = maximum(windows.select(3, 0), windows.select(3, 1));
        return maximum(rows.select(4, 0), rows.select(4, 1)).MoveToOuterDisposeScope();
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var y = Pool(x);
        ctx.save_for_backward([x, y]);
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
    {
        var saved = ctx.get_saved_variables();
        var (x, y) = (saved[0], saved[1]);
        var shape = x.shape;
        var even = shape[2] % 2 == 0 && shape[3] % 2 == 0;
        var gx = even ? empty(shape, grad.dtype, grad.device) : zeros(shape, grad.dtype, grad.device);
        using (var scope = NewDisposeScope())
        {
            var windows = Windows(x);
            var target = Windows(gx);
            // The first maximum in scan order takes the gradient, as max_pool2d's indices do: each
            // window position in turn takes what is left where it holds the maximum. The masks
            // are floats (1 - sign(max - value), exactly 0 or 1) so that every step vectorises;
            // remaining - part is exact because part is remaining or 0.
            var remaining = grad.contiguous().clone();
            for (var k = 0; k < 3; k++)
            {
                var value = windows.select(3, k / 2).select(4, k % 2);
                var mask = sub(y, value).sign_().neg_().add_(1);
                var part = remaining.mul(mask);
                remaining.sub_(part);
                target.select(3, k / 2).select(4, k % 2).copy_(part);
            }
            target.select(3, 1).select(4, 1).copy_(remaining);
        }
        return [gx];
    }

    /// <summary>[N, C, H/2, 2, W/2, 2]: a view of the 2x2 windows (floor mode).</summary>
    private static Tensor Windows(Tensor x)
    {
        var shape = x.shape;
        long h = shape[2] / 2, w = shape[3] / 2;
        var even = shape[2] % 2 == 0 && shape[3] % 2 == 0;
        var contiguous = x.contiguous();
        var cropped = even ? contiguous : contiguous.narrow(2, 0, h * 2).narrow(3, 0, w * 2);
        return cropped.view(shape[0], shape[1], h, 2, w, 2);
    }
}
