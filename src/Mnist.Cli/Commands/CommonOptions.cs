using System.CommandLine;
using Mnist.Core.Infrastructure;
using Mnist.Core.Tuning;

namespace Mnist.Cli.Commands;

/// <summary>Options several commands share, each created fresh per command.</summary>
internal static class CommonOptions
{
    public static Option<string?> DataDir() => new("--data-dir")
    {
        Description = "Folder with the four IDX files (else $MNIST_DATA_DIR, else a per-user cache; missing files are downloaded).",
    };

    public static Option<string> Dataset() => new Option<string>("--dataset")
    {
        Description = "Which IDX dataset: mnist, or fashion-mnist (Debian's dataset-fashion-mnist package installs it; else it is downloaded).",
        DefaultValueFactory = _ => Core.Data.DatasetInfo.Mnist.Name,
    }.AcceptOnlyFromAmong([.. Core.Data.DatasetInfo.All.Select(d => d.Name)]);

    public static Option<string> Model() => new("--model")
    {
        Description = "A run folder (holding model.ckpt) or a model file.",
        Required = true,
    };

    private const string PrunerHelp = "asha (successive halving, Optuna's semantics: rungs after 1/9, 1/3, 1, 3, 9 epochs' worth of images, a trial goes on only in the top third of its rung) or none.";

    public static ChoiceOption<PrunerKind> Pruner(PrunerKind defaultValue) => new("--pruner", PrunerHelp, defaultValue);

    /// <summary>The pruner, or null for the preset's own.</summary>
    public static ChoiceOption<PrunerKind> PrunerOrPreset() => new("--pruner", PrunerHelp + " Default: the preset's (asha for seed, none for quick).");

    public static Option<string?> Storage() => new("--storage")
    {
        Description = "Where the study lives: postgresql://user:password@host:port/database (one server that workers on many machines share), or sqlite:///PATH.db. Default: the SQLite file OUT/STUDY.db.",
    };

    public static Option<string[]> Enqueue() => new("--enqueue")
    {
        Description = "A JSON file of hyperparameter values ({\"conv1_filters\": 64, \"learning_rate\": 0.002}; those left out at their defaults, {} the seed's model) to try first, as Optuna's enqueue_trial; repeat for several, tried in order.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string[]> Fix() => new("--fix")
    {
        Description = "NAME=VALUE: hold a hyperparameter at one value for the whole study (KerasTuner's hp.Fixed), e.g. conv_layers_per_block=1 for the seed's space; repeat for several. A worker without --fix goes on in a study made with it.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> MaxMultAdds(string defaultText) => new("--max-mult-adds")
    {
        Description = "N or none: the most multiply-adds one image may cost through a searched network (mnist summary counts them; the seed's is 4.6e6, 2.5e7 is 25,000,000): the search tries no configuration above it. Default: " + defaultText + ".",
    };

    /// <summary>The budget of <see cref="MaxMultAdds"/> as a whole number; null when not given or none.</summary>
    public static long? ReadMaxMultAdds(string? given)
    {
        if (given is null) return null;
        if (string.Equals(given.Trim(), "none", StringComparison.OrdinalIgnoreCase)) return null;
        if (!double.TryParse(given, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || !(value >= 1) || value > long.MaxValue)
        {
            throw new ArgumentException($"--max-mult-adds {given}: must be a number of at least 1 (2.5e7 is 25,000,000), or none");
        }
        return (long)Math.Round(value);
    }

    /// <summary>The hyperparameters of <see cref="Fix"/>, NAME=VALUE each; the space checks the names and values.</summary>
    public static IReadOnlyDictionary<string, double> ReadFixed(string[]? given)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var item in given ?? [])
        {
            var at = item.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0) throw new ArgumentException($"--fix {item}: expected NAME=VALUE, e.g. conv_layers_per_block=1");
            var name = item[..at].Trim();
            if (!double.TryParse(item[(at + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                throw new ArgumentException($"--fix {item}: the value of {name} must be a number (a choice as its index)");
            }
            if (!values.TryAdd(name, value)) throw new ArgumentException($"--fix {item}: {name} is fixed twice");
        }
        return values;
    }

    /// <summary>The configurations of <see cref="Enqueue"/>'s files, read and checked for being JSON objects of numbers.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, double>> ReadEnqueued(string[]? files) =>
        (files ?? []).Select(file =>
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"{file}: enqueued configuration not found", file);
            return (IReadOnlyDictionary<string, double>)Core.Infrastructure.Json.Deserialize<Dictionary<string, double>>(File.ReadAllText(file), file);
        }).ToList();

    private const string MonitorHelp = "What early stopping, ReduceLROnPlateau and the best weights watch (Keras's monitor): val_loss (lower is better) or val_accuracy (higher is better).";

    public static ChoiceOption<TuningObjective> Monitor() => new("--monitor", MonitorHelp, new Core.Training.TrainingOptions().Monitor);

    /// <summary>The monitor of a search's trials: null when not given, for the search's objective.</summary>
    public static ChoiceOption<TuningObjective> MonitorOrObjective() => new("--monitor", MonitorHelp + " Default: the --objective.");

    public static Option<int> Tta() => new("--tta")
    {
        Description = $"Test-time augmentation: average the probabilities over the image and this many fixed variants of it (one-pixel shifts, then slight rotations and zooms; at most {Core.Inference.TestTimeAugmentation.Variants.Count}). 0: the plain prediction.",
        DefaultValueFactory = _ => 0,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of tables." };

    public static Option<int?> Threads() => new("--threads")
    {
        Description = "libtorch intra-op threads (default: all cores).",
        Validators = { r => { if (r.GetValueOrDefault<int?>() is < 1) r.AddError("--threads must be at least 1"); } },
    };

    public static ChoiceOption<DeviceKind> Device() =>
        new("--device", "cpu, cuda or auto (cuda needs the CUDA libtorch package; see Directory.Packages.props).", DeviceKind.Cpu);

    public static Option<string?> TensorBoard() => new("--tensorboard")
    {
        Description = "Also write TensorBoard event files (scalars per epoch: loss, accuracy, val_loss, val_accuracy, learning_rate) into this folder; view with: tensorboard --logdir DIR.",
    };
}
