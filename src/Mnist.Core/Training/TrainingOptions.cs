using System.Text.Json.Serialization;
using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Tuning;

namespace Mnist.Core.Training;

/// <summary>How the learning rate moves during training, by its name (<see cref="Choice"/>, as checkpoints store it): <c>plateau</c> or <c>one_cycle</c>.</summary>
public enum LrSchedule
{
    /// <summary>Constant, reduced on plateaus of the monitored metric (Keras's ReduceLROnPlateau) when ReduceLrPatience &gt; 0.</summary>
    Plateau,

    /// <summary>
    /// One cycle over the whole run, per batch: a cosine warm-up from a tenth of the model's
    /// learning rate to all of it over the first 25% of steps, then cosine annealing to a
    /// thousandth. Meant for a fixed epoch budget (fast training); no plateau reductions.
    /// </summary>
    OneCycle,
}

/// <summary>Everything that decides a training run besides the hyperparameters; stored in every checkpoint.</summary>
public sealed record TrainingOptions : IJsonOnDeserializing
{
    public string Dataset { get; init; } = "mnist";
    public int Epochs { get; init; } = 100;
    public int BatchSize { get; init; } = 32;
    public int EvalBatchSize { get; init; } = 1000;

    /// <summary>Early stopping: epochs without improvement of <see cref="Monitor"/> before stopping (0 disables).</summary>
    public int Patience { get; init; } = 5;

    /// <summary>
    /// What early stopping, ReduceLROnPlateau and the best weights watch (Keras's <c>monitor</c>,
    /// its direction known): <c>val_accuracy</c> (higher is better; ties do not count as
    /// improvements), the default since stop 19, the search's own objective; or <c>val_loss</c>
    /// (lower is better: the seed's and Keras's default). With label smoothing, val_loss (plain
    /// cross-entropy) bottomed out epochs before the most accurate weights (docs/training.md).
    /// A file written before the monitor was recorded reads as <c>val_loss</c>, what it was
    /// trained with.
    /// </summary>
    public TuningObjective Monitor { get => _monitor; init => _monitor = value; }

    private TuningObjective _monitor = TuningObjective.ValAccuracy;

    void IJsonOnDeserializing.OnDeserializing() => _monitor = TuningObjective.ValLoss;
    public double MinDelta { get; init; }
    public double ValidationFraction { get; init; } = 0.1;
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Seed of the validation split (and of <see cref="DataFraction"/>'s share) alone; null, the
    /// default and what files written before it read as: <see cref="Seed"/>. Runs with different
    /// seeds and one split seed hold out the same images, so an ensemble of them can be judged on
    /// the validation split its members never trained on.
    /// </summary>
    public int? SplitSeed { get; init; }

    /// <summary>The seed the split takes: <see cref="SplitSeed"/>, or <see cref="Seed"/> when it is unset.</summary>
    [JsonIgnore]
    public int ValidationSeed => SplitSeed ?? Seed;

    public AugmentationOptions Augmentation { get; init; } = AugmentationOptions.Seed;
    public bool Standardize { get; init; }
    /// <summary>
    /// Label smoothing of the one-hot targets (Keras's CategoricalCrossentropy(label_smoothing)).
    /// 0.1 by default: it gave the best test accuracy of the recipes compared (docs/training.md,
    /// *How the training recipe was chosen*). Validation loss is always the
    /// plain cross-entropy.
    /// </summary>
    public double LabelSmoothing { get; init; } = 0.1;

    /// <summary>
    /// Keras's ReduceLROnPlateau on <see cref="Monitor"/>: epochs without improvement before the rate
    /// is multiplied by the factor; 0 disables it, as in the seed. On by default (2 epochs, x0.5):
    /// with a constant rate the seed model stopped lower (docs/training.md).
    /// </summary>
    public int ReduceLrPatience { get; init; } = 2;
    public double ReduceLrFactor { get; init; } = 0.5;
    public double MinLearningRate { get; init; } = 1e-6;

    public LrSchedule LrSchedule { get; init; } = LrSchedule.Plateau;

    /// <summary>Use only the first N training images (quick runs); null for all.</summary>
    public int? TrainLimit { get; init; }

    /// <summary>Use a stratified, seeded share of the training images (tuning trials); 1 for all.</summary>
    public double DataFraction { get; init; } = 1.0;

    public void Validate()
    {
        SettingException.Check(Epochs >= 1, "epochs", Epochs, "must be at least 1");
        SettingException.Check(BatchSize >= 1, "batch_size", BatchSize, "must be at least 1");
        SettingException.Check(EvalBatchSize >= 1, "eval_batch_size", EvalBatchSize, "must be at least 1");
        SettingException.Check(Patience >= 0, "patience", Patience, "must be 0 (off) or more");
        SettingException.Check(ValidationFraction is > 0 and < 1, "validation_fraction", ValidationFraction, "must be in (0, 1)");
        SettingException.Check(TrainLimit is null or >= 20, "train_limit", TrainLimit, "must be at least 20 images");
        SettingException.Check(ReduceLrPatience >= 0, "reduce_lr_patience", ReduceLrPatience, "must be 0 (off) or more");
        SettingException.Check(ReduceLrFactor is > 0 and < 1, "reduce_lr_factor", ReduceLrFactor, "must be in (0, 1)");
        SettingException.Check(DataFraction is > 0 and <= 1, "data_fraction", DataFraction, "must be in (0, 1]");
        SettingException.Check(LabelSmoothing is >= 0 and < 1, "label_smoothing", LabelSmoothing, "must be in [0, 1)");
        SettingException.Check(Augmentation.RotationDegrees is >= 0 and <= 180, "rotation_degrees", Augmentation.RotationDegrees, "must be in [0, 180] degrees");
        SettingException.Check(Augmentation.Zoom is >= 0 and < 1, "zoom", Augmentation.Zoom, "must be in [0, 1)");
        SettingException.Check(Augmentation.Shift is >= 0 and < 1, "shift", Augmentation.Shift, "must be in [0, 1)");
        SettingException.Check(Augmentation.ShearDegrees is >= 0 and < 90, "shear_degrees", Augmentation.ShearDegrees, "must be in [0, 90) degrees");
        SettingException.Check(Augmentation.ElasticAlpha >= 0 && double.IsFinite(Augmentation.ElasticAlpha), "elastic_alpha", Augmentation.ElasticAlpha, "must be 0 (off) or more pixels");
        SettingException.Check(Augmentation.ElasticSigma > 0 && double.IsFinite(Augmentation.ElasticSigma), "elastic_sigma", Augmentation.ElasticSigma, "must be more than 0 pixels");
        SettingException.Check(Augmentation.StrokeJitter is >= 0 and <= 1.5, "stroke_jitter", Augmentation.StrokeJitter, "must be in [0, 1.5] pixels");
    }
}
