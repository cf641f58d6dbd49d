using System.CommandLine;
using Mnist.Core.Infrastructure;

namespace Mnist.Cli;

/// <summary>
/// Core names its settings in its own words (<see cref="SettingException.Setting"/>, snake_case); the
/// command line says them as its flags: the setting's name in kebab case where the CLI has that
/// option, or the flag named in <see cref="Renamed"/>. A command may name a setting otherwise (tune's
/// per-trial epochs are <c>--max-epochs</c>).
/// </summary>
internal static class CliFlags
{
    /// <summary>The settings whose flag is not their name in kebab case.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Renamed = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["validation_fraction"] = "--validation-split",
        ["rotation_degrees"] = "--rotation",
        ["shear_degrees"] = "--shear",
        ["initial_points"] = "--initial",
    };

    /// <summary>Every option name of every command of the CLI.</summary>
    internal static IReadOnlySet<string> Known => KnownFlags.Value;

    private static readonly Lazy<HashSet<string>> KnownFlags = new(() =>
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Collect(Command command)
        {
            foreach (var option in command.Options) names.Add(option.Name);
            foreach (var sub in command.Subcommands) Collect(sub);
        }
        Collect(CliApp.BuildRoot(new CliContext(TextWriter.Null, TextWriter.Null)));
        return names;
    });

    /// <summary>The error as the command line says it: <c>--flag value: rule</c>, or Core's words for a setting with no flag.</summary>
    public static string Describe(SettingException e, IReadOnlyDictionary<string, string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        var flag = overrides is not null && overrides.TryGetValue(e.Setting, out var own) ? own
            : Renamed.TryGetValue(e.Setting, out var renamed) ? renamed
            : Known.Contains("--" + e.Setting.Replace('_', '-')) ? "--" + e.Setting.Replace('_', '-')
            : null;
        return flag is null ? e.Message : FormattableString.Invariant($"{flag} {e.Value}: {e.Rule}");
    }
}
