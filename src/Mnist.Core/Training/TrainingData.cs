using Mnist.Core.Data;
using static TorchSharp.torch;

namespace Mnist.Core.Training;

/// <summary>The training and validation tensors of a run, in [0, 1], on the run's device.</summary>
public sealed class TrainingData : IDisposable
{
    private TrainingData(Tensor trainX, Tensor trainY, Tensor valX, Tensor valY, Normalization normalization, int classes)
    {
        TrainX = trainX;
        TrainY = trainY;
        ValX = valX;
        ValY = valY;
        Normalization = normalization;
        Classes = classes;
    }

    public Tensor TrainX { get; }
    public Tensor TrainY { get; }
    public Tensor ValX { get; }
    public Tensor ValY { get; }
    public Normalization Normalization { get; }
    public int Classes { get; }
    public long TrainCount => TrainX.shape[0];
    public long ValidationCount => ValX.shape[0];

    /// <summary>Takes the first <c>TrainLimit</c> images (and a stratified <c>DataFraction</c> of them), splits off a stratified validation part, and fixes the normalisation on the training part.</summary>
    public static TrainingData Create(LabeledImages all, TrainingOptions options, int classes, Device device)
    {
        var (train, validation) = Split(all, options);
        var normalization = options.Standardize ? Normalization.Standardize(train) : Normalization.UnitRange;
        return new TrainingData(
            Preprocessing.ToUnitTensor(train, device),
            Preprocessing.Labels(train, device),
            Preprocessing.ToUnitTensor(validation, device),
            Preprocessing.Labels(validation, device),
            normalization,
            classes);
    }

    /// <summary>
    /// The images a run trains on and the ones it holds out for validation, from the training
    /// file: the first <c>TrainLimit</c> images (a stratified <c>DataFraction</c> of them), split
    /// by <c>ValidationFraction</c> and <c>ValidationSeed</c> (<c>SplitSeed</c>, or <c>Seed</c>). With the default options, the validation part
    /// is the tenth of the training file that a default run never trains on.
    /// </summary>
    public static (LabeledImages Train, LabeledImages Validation) Split(LabeledImages all, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(all);
        ArgumentNullException.ThrowIfNull(options);
        var images = all.Take(options.TrainLimit);
        if (options.DataFraction < 1)
        {
            var (_, share) = StratifiedSplit.Split(images.Labels, options.DataFraction, options.ValidationSeed + 1);
            images = images.Select(share);
        }
        var (trainIdx, valIdx) = StratifiedSplit.Split(images.Labels, options.ValidationFraction, options.ValidationSeed);
        return (images.Select(trainIdx), images.Select(valIdx));
    }

    /// <summary>Whether runs with options <paramref name="a"/> and <paramref name="b"/> hold out the same validation images: the options <see cref="Split"/> reads agree.</summary>
    public static bool HoldOutSameImages(TrainingOptions a, TrainingOptions b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Dataset == b.Dataset && a.TrainLimit == b.TrainLimit && a.DataFraction == b.DataFraction
            && a.ValidationFraction == b.ValidationFraction && a.ValidationSeed == b.ValidationSeed;
    }

    /// <summary>
    /// The images <see cref="Split"/> holds out with these options, in words, every option it reads
    /// (the dataset named when it is not MNIST; fractions as written): "the 0.1 of the first 5000
    /// training images that a run with split seed 4 holds out".
    /// </summary>
    public static string DescribeHeldOut(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var file = options.Dataset == DatasetInfo.Mnist.Name ? "training images" : $"{options.Dataset} training images";
        var images = options.TrainLimit is { } n ? $"the first {n} {file}" : $"the {file}";
        var share = options.DataFraction < 1 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" (a {options.DataFraction:G} share of them)") : "";
        var seed = options.SplitSeed is { } splitSeed ? $"split seed {splitSeed}" : $"seed {options.Seed}";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the {options.ValidationFraction:G} of {images}{share} that a run with {seed} holds out");
    }

    public void Dispose()
    {
        TrainX.Dispose();
        TrainY.Dispose();
        ValX.Dispose();
        ValY.Dispose();
    }
}
