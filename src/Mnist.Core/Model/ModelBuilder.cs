using Mnist.Core.Infrastructure;
using Mnist.Core.Tuning;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mnist.Core.Model;

/// <summary>
/// Builds the network as a pure function of its hyperparameters: a <see cref="Sequential"/> with
/// Keras-style deterministic layer names (conv2d_1, max_pooling2d_1, batch_normalization_1, ...),
/// an activation module named after its layer (conv2d_1_relu), and sizes computed from the input.
/// The output is log-probabilities (Dense + log-softmax); probabilities are their exponent.
/// Keras defaults are kept for initialisation (Glorot-uniform kernels, zero biases) and
/// BatchNorm epsilon (1e-3). BatchNorm's running statistics use PyTorch's momentum 0.1 (Keras's
/// 0.99 is PyTorch 0.01): the running variance starts at 1, and with Keras's slower average it
/// still dominates after a short run's few hundred steps, and a one-epoch model evaluated far
/// below its training accuracy.
/// </summary>
public static class ModelBuilder
{
    public const double BatchNormEpsilon = 1e-3;
    public const double DefaultBatchNormMomentum = 0.1;
    public const string OutputActivationSuffix = "_log_softmax";

    /// <summary>The most dense layers the search space offers.</summary>
    public const int MaxDenseLayers = 3;

    /// <summary>The most convolutions per block the search space offers (the model builds up to <see cref="ModelConfig.MaxConvLayersPerBlock"/>).</summary>
    public const int MaxSearchedConvLayersPerBlock = 2;

    /// <summary>
    /// The hyperparameters put into the search space after studies were first stored, newest
    /// last. A study stored before one of them was searched goes on in the space it was made
    /// with (<see cref="IsEarlierSearchSpace"/>): its trials trained with that parameter at its
    /// default, which is what leaving it out of a configuration gives.
    /// </summary>
    public static IReadOnlyList<string> AddedToSearchSpace { get; } = ["conv_layers_per_block"];

    /// <summary>
    /// The seed's <c>build_model(hp)</c>: the search space is declared here, where the model is
    /// built. Conv 1: 32-128 filters (step 16); conv 2: 64-256 (step 32); 1 or 2 convolutions per
    /// block (VGG's stacking, <see cref="ModelConfig.ConvLayersPerBlock"/>; searched since stop 23,
    /// the seed's is 1); 1-3 dense layers, each 64-512 units (step 64) with dropout 0.1-0.5 (step
    /// 0.1); Adam learning rate 1e-4-1e-2 on a log scale. Activations and the rest of the
    /// architecture are the seed's. Every dense layer's units and dropout are declared whether or
    /// not the layer is used, so the space has a fixed 11 dimensions; those of layers 2 and 3 sit
    /// in conditional scopes on dense_layers (KerasTuner's), so they count only where the layer
    /// exists. The defaults are the seed's final model.
    /// </summary>
    public static ModelConfig Configure(HyperParameters hp)
    {
        var conv1 = hp.Int("conv1_filters", 32, 128, step: 16, defaultValue: 32);
        var conv2 = hp.Int("conv2_filters", 64, 256, step: 32, defaultValue: 64);
        var convLayers = hp.Int("conv_layers_per_block", 1, MaxSearchedConvLayersPerBlock, defaultValue: 1);
        var layers = hp.Int("dense_layers", 1, MaxDenseLayers, defaultValue: 1);
        var dense = new List<DenseLayerConfig>();
        for (var i = 1; i <= MaxDenseLayers; i++)
        {
            // Layer i exists when dense_layers >= i: its units and dropout live in that conditional scope.
            using var scope = i == 1 ? null : hp.ConditionalScope("dense_layers", Enumerable.Range(i, MaxDenseLayers - i + 1).Select(n => (double)n).ToArray());
            var units = hp.Int($"dense_{i}_units", 64, 512, step: 64, defaultValue: 256);
            var dropout = hp.Float($"dense_{i}_dropout", 0.1, 0.5, step: 0.1, defaultValue: 0.2);
            if (i <= layers) dense.Add(new DenseLayerConfig(units, "selu", dropout));
        }
        var learningRate = hp.Float("learning_rate", 1e-4, 1e-2, log: true, defaultValue: 1e-3);
        return ModelConfig.Seed with { Conv1Filters = conv1, Conv2Filters = conv2, ConvLayersPerBlock = convLayers, Dense = dense, LearningRate = learningRate };
    }

    /// <summary>The search space <see cref="Configure"/> declares.</summary>
    public static SearchSpace SeedSearchSpace() => SearchSpace.Declare(Configure);

    /// <summary>
    /// Whether <paramref name="stored"/> (a stored study's space) is this search space as it was
    /// before some of <see cref="AddedToSearchSpace"/> were put into it: today's parameters, in
    /// today's order and with today's ranges, less the newest few of those.
    /// </summary>
    public static bool IsEarlierSearchSpace(IReadOnlyList<HyperParameter> stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var today = SeedSearchSpace();
        var storedJson = Json.Serialize(stored, indented: false);
        for (var added = 1; added <= AddedToSearchSpace.Count; added++)
        {
            var since = AddedToSearchSpace.Skip(AddedToSearchSpace.Count - added).ToHashSet(StringComparer.Ordinal);
            var before = today.Parameters.Where(p => !since.Contains(p.Name)).ToArray();
            if (Json.Serialize<IReadOnlyList<HyperParameter>>(before, indented: false) == storedJson) return true;
        }
        return false;
    }

    /// <summary>
    /// Whether <paramref name="stored"/> is this search space, today's or an earlier form
    /// (<see cref="IsEarlierSearchSpace"/>), with some hyperparameters held fixed
    /// (<see cref="SearchSpace.WithFixed"/>): a study made so, which a worker that fixes nothing goes on in.
    /// </summary>
    public static bool IsFixedSearchSpace(IReadOnlyList<HyperParameter> stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!stored.Any(p => p is FixedParameter)) return false;
        var today = SeedSearchSpace().Parameters;
        var unfixed = stored.Select(p => p is FixedParameter f && today.FirstOrDefault(t => t.Name == f.Name) is { } declared && SameConditions(declared, f) ? declared : p).ToList();
        if (unfixed.Any(p => p is FixedParameter)) return false;
        return Json.Serialize<IReadOnlyList<HyperParameter>>(unfixed, indented: false) == Json.Serialize(today, indented: false) || IsEarlierSearchSpace(unfixed);
    }

    private static bool SameConditions(HyperParameter a, HyperParameter b) =>
        Json.Serialize(a.Conditions ?? [], indented: false) == Json.Serialize(b.Conditions ?? [], indented: false);

    /// <summary>
    /// The multiply-adds of one image through the network <see cref="Build"/> makes of
    /// <paramref name="config"/>, counted from its shapes alone (each kernel at every output position,
    /// each dense matrix once, as <see cref="ModelSummary"/> counts them from a forward pass): cheap
    /// enough to judge thousands of candidate configurations against a budget.
    /// </summary>
    public static long MultAdds(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long total = 0;
        var channels = (long)config.InputChannels;
        var size = (long)config.InputSize;
        var kernel = (long)config.KernelSize * config.KernelSize;
        foreach (var filters in new[] { config.Conv1Filters, config.Conv2Filters })
        {
            for (var i = 0; i < config.ConvLayersPerBlock; i++)
            {
                total += channels * filters * kernel * size * size; // padding same: the output is the input's size
                channels = filters;
            }
            size /= 2;
        }
        var features = channels * size * size;
        foreach (var layer in config.Dense)
        {
            total += features * layer.Units;
            features = layer.Units;
        }
        return total + features * config.Classes;
    }

    /// <summary>The constraint of a search whose networks may cost at most <paramref name="max"/> multiply-adds per image (<see cref="MultAdds"/>).</summary>
    public static SpaceConstraint MultAddsBudget(long max)
    {
        SettingException.Check(max >= 1, "max_mult_adds", max, "must be at least 1");
        return new SpaceConstraint(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"at most {max:N0} multiply-adds per image"),
            values => MultAdds(Configure(new HyperParameters(values))) <= max);
    }

    public static Sequential Build(ModelConfig config, long? seed = null)
    {
        config.Validate();
        if (seed is { } s) torch.manual_seed(s);

        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        var conv = 0; var pool = 0; var norm = 0; var dense = 0; var dropout = 0;
        var channels = (long)config.InputChannels;
        var size = (long)config.InputSize;

        foreach (var filters in new[] { config.Conv1Filters, config.Conv2Filters })
        {
            for (var i = 0; i < config.ConvLayersPerBlock; i++)
            {
                var name = $"conv2d_{++conv}";
                layers.Add((name, nn.Conv2d(channels, filters, config.KernelSize, padding: Padding.Same)));
                layers.Add(($"{name}_{config.ConvActivation}", Activations.Create(config.ConvActivation)));
                channels = filters;
            }
            layers.Add(($"max_pooling2d_{++pool}", new MaxPool2x2()));
            layers.Add(($"batch_normalization_{++norm}", nn.BatchNorm2d(filters, BatchNormEpsilon, config.BatchNormMomentum)));
            size /= 2;
        }

        layers.Add(("flatten", nn.Flatten()));
        var features = channels * size * size;

        foreach (var layer in config.Dense)
        {
            var name = $"dense_{++dense}";
            layers.Add((name, nn.Linear(features, layer.Units)));
            layers.Add(($"{name}_{layer.Activation}", Activations.Create(layer.Activation)));
            layers.Add(($"dropout_{++dropout}", nn.Dropout(layer.Dropout)));
            layers.Add(($"batch_normalization_{++norm}", nn.BatchNorm1d(layer.Units, BatchNormEpsilon, config.BatchNormMomentum)));
            features = layer.Units;
        }

        var output = $"dense_{++dense}";
        layers.Add((output, nn.Linear(features, config.Classes)));
        layers.Add((output + OutputActivationSuffix, nn.LogSoftmax(1)));

        var model = nn.Sequential(layers);
        InitializeLikeKeras(model);
        return model;
    }

    /// <summary>Keras's defaults: Glorot-uniform kernels and zero biases.</summary>
    private static void InitializeLikeKeras(nn.Module model)
    {
        using var _ = no_grad();
        foreach (var (_, module) in model.named_children())
        {
            if (module is Conv2d c)
            {
                nn.init.xavier_uniform_(c.weight);
                if (c.bias is not null) nn.init.zeros_(c.bias);
            }
            else if (module is Linear l)
            {
                nn.init.xavier_uniform_(l.weight);
                if (l.bias is not null) nn.init.zeros_(l.bias);
            }
        }
    }
}
