using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Model;

/// <summary>The activations a layer may name, as Keras spells them.</summary>
public static class Activations
{
    private static readonly Dictionary<string, Func<nn.Module<Tensor, Tensor>>> Factories = new(StringComparer.Ordinal)
    {
        ["relu"] = () => nn.ReLU(),
        ["selu"] = () => nn.SELU(),
        ["elu"] = () => nn.ELU(),
        ["gelu"] = () => nn.GELU(),
        ["tanh"] = () => nn.Tanh(),
        ["sigmoid"] = () => nn.Sigmoid(),
        ["swish"] = () => nn.SiLU(),
    };

    public static string KnownList => "one of " + string.Join(", ", Factories.Keys);

    public static bool IsKnown(string name) => Factories.ContainsKey(name);

    public static nn.Module<Tensor, Tensor> Create(string name) =>
        Factories.TryGetValue(name, out var f) ? f() : throw new ArgumentException($"unknown activation '{name}'; {KnownList}");
}
