using Mnist.Core.Infrastructure;

namespace Mnist.Cli;

/// <summary>
/// Core names its settings in its own words (<see cref="SettingException.Setting"/>); the command line
/// says them as its flags. A command may name a setting otherwise (tune's per-trial epochs are
/// <c>--max-epochs</c>).
/// </summary>
internal static class CliFlags
{
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["epochs"] = "--epochs",
        ["batch_size"] = "--batch-size",
        ["patience"] = "--patience",
        ["validation_fraction"] = "--validation-split",
        ["train_limit"] = "--train-limit",
        ["reduce_lr_patience"] = "--reduce-lr-patience",
        ["reduce_lr_factor"] = "--reduce-lr-factor",
        ["data_fraction"] = "--data-fraction",
        ["label_smoothing"] = "--label-smoothing",
        ["rotation_degrees"] = "--rotation",
        ["zoom"] = "--zoom",
        ["shift"] = "--shift",
        ["trials"] = "--trials",
        ["initial_points"] = "--initial",
        ["stale_after"] = "--stale-after",
        ["preset"] = "--preset",
        ["threads"] = "--threads",
        ["device"] = "--device",
        ["engine"] = "--engine",
        ["storage"] = "--storage",
        ["max_body_bytes"] = "--max-body-bytes",
    };

    /// <summary>The error as the command line says it: <c>--flag value: rule</c>, or Core's words for a setting with no flag.</summary>
    public static string Describe(SettingException e, IReadOnlyDictionary<string, string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        var flag = overrides is not null && overrides.TryGetValue(e.Setting, out var own) ? own : Flags.GetValueOrDefault(e.Setting);
        return flag is null ? e.Message : FormattableString.Invariant($"{flag} {e.Value}: {e.Rule}");
    }
}
