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
        var images = all.Take(options.TrainLimit);
        if (options.DataFraction < 1)
        {
            var (_, share) = StratifiedSplit.Split(images.Labels, options.DataFraction, options.Seed + 1);
            images = images.Select(share);
        }
        var (trainIdx, valIdx) = StratifiedSplit.Split(images.Labels, options.ValidationFraction, options.Seed);
        var train = images.Select(trainIdx);
        var validation = images.Select(valIdx);
        var normalization = options.Standardize ? Normalization.Standardize(train) : Normalization.UnitRange;
        return new TrainingData(
            Preprocessing.ToUnitTensor(train, device),
            Preprocessing.Labels(train, device),
            Preprocessing.ToUnitTensor(validation, device),
            Preprocessing.Labels(validation, device),
            normalization,
            classes);
    }

    public void Dispose()
    {
        TrainX.Dispose();
        TrainY.Dispose();
        ValX.Dispose();
        ValY.Dispose();
    }
}
