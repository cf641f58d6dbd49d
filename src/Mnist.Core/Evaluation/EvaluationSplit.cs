using Mnist.Core.Data;
using Mnist.Core.Model;
using Mnist.Core.Training;

namespace Mnist.Core.Evaluation;

/// <summary>Which labelled images an evaluation reads.</summary>
public enum EvaluationSplit
{
    /// <summary>The dataset's test set: for reporting, once.</summary>
    Test,

    /// <summary>The validation split of the training file that the model never trained on: for choosing settings.</summary>
    Validation,
}

/// <summary>The validation split a model file held out: the one place that finds it for <c>evaluate</c> and the robustness benchmark.</summary>
public static class HeldOutSplit
{
    /// <summary>
    /// The training options whose validation split the model never trained on
    /// (<see cref="ModelManifest.HeldOutOptions"/>; the default options for a single network's file
    /// that records none) and where they come from in words.
    /// </summary>
    /// <exception cref="InvalidDataException">An ensemble with a member that does not record its training, or whose members held out different images.</exception>
    public static (TrainingOptions Options, string Source) Of(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var recorded = manifest.HeldOutOptions();
        var options = recorded ?? new TrainingOptions();
        return (options, $"the validation split of the training file: {TrainingData.DescribeHeldOut(options)}{(recorded is null ? " (default options: the file does not record its training)" : " (the model's own options)")}");
    }

    /// <summary>The images of <paramref name="split"/> in <paramref name="data"/> for a model trained with <paramref name="heldOut"/>.</summary>
    public static LabeledImages Images(Dataset data, EvaluationSplit split, TrainingOptions heldOut)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(heldOut);
        return split switch
        {
            EvaluationSplit.Test => data.Test,
            EvaluationSplit.Validation => TrainingData.Split(data.Train, heldOut).Validation,
            _ => throw new ArgumentOutOfRangeException(nameof(split), split, "test or validation"),
        };
    }
}
