using System.CommandLine;
using Mnist.Core.Infrastructure;

namespace Mnist.Cli.Commands;

/// <summary>
/// A flag naming one of Core's choices (an enum spelt by <see cref="Choice"/>): the help and the
/// completions list the choice's names, any name or alias is accepted (in any case), anything else
/// is a parse error naming the flag and the names accepted. <see cref="Read"/> gives the enum value;
/// the setting Core names in its errors is the flag's name in snake case.
/// </summary>
internal sealed class ChoiceOption<T> : Option<string> where T : struct, Enum
{
    /// <summary>A choice that defaults to <paramref name="defaultValue"/> (the help shows its name).</summary>
    public ChoiceOption(string name, string description, T defaultValue)
        : this(name, description) => DefaultValueFactory = _ => Choice.Name(defaultValue);

    /// <summary>A choice with no default: <see cref="ReadOrNull"/> is null when the flag is not given.</summary>
    public ChoiceOption(string name, string description)
        : base(name)
    {
        Description = description;
        CompletionSources.Add([.. Choice.Names<T>()]);
        Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!Choice.TryParse<T>(token.Value, out _)) result.AddError($"{Name} {token.Value}: {Choice.Expected<T>()}");
            }
        });
    }

    /// <summary>Core's name of the setting: the flag without its dashes, in snake case.</summary>
    public string Setting => Name.TrimStart('-').Replace('-', '_');

    /// <summary>The value the command line names, or the default.</summary>
    public T Read(ParseResult parse) => Choice.Parse<T>(Setting, parse.GetValue(this));

    /// <summary>The value the command line names, or null when it names none and there is no default.</summary>
    public T? ReadOrNull(ParseResult parse) => parse.GetValue(this) is { } text ? Choice.Parse<T>(Setting, text) : null;
}
