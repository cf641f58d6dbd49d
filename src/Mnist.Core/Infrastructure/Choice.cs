using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mnist.Core.Infrastructure;

/// <summary>
/// Another spelling a choice's value is read from, never written (<see cref="Choice"/>): a longer
/// or an older name, such as <c>bayesian</c> for the oracle <c>bayes</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Field, AllowMultiple = true)]
public sealed class ChoiceAliasAttribute(string alias) : Attribute
{
    public string Alias { get; } = alias;
}

/// <summary>
/// The one way Core spells a named choice (the oracle, the pruner, the device, the engine, the
/// objective, ...). Every choice is an enum, and each of its values has one name: the one
/// <see cref="Json"/> writes for it, so a flag, a stored study and a JSON file say it alike (its
/// <see cref="JsonStringEnumMemberNameAttribute"/> where it has one, else the member's name in lower
/// snake case: <c>ValAccuracy</c> is <c>val_accuracy</c>, <c>OneCycle</c> <c>one_cycle</c>). Text is
/// read back, ignoring case, from the name or one of the value's <see cref="ChoiceAliasAttribute"/>;
/// anything else is a <see cref="SettingException"/> naming the setting and the names accepted.
/// The command line lists and reads its choices' names here.
/// </summary>
public static class Choice
{
    /// <summary>The name of <paramref name="value"/>, as written everywhere.</summary>
    public static string Name<T>(T value) where T : struct, Enum =>
        Spelling<T>.NameOf.TryGetValue(value, out var name)
            ? name
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"not a value of {typeof(T).Name}");

    /// <summary>The names of every value, in the enum's order.</summary>
    public static IReadOnlyList<string> Names<T>() where T : struct, Enum => Spelling<T>.Names;

    /// <summary>Every value, in the enum's order.</summary>
    public static IReadOnlyList<T> Values<T>() where T : struct, Enum => Spelling<T>.Values;

    /// <summary>The other spellings <paramref name="value"/> is read from (none for most).</summary>
    public static IReadOnlyList<string> Aliases<T>(T value) where T : struct, Enum =>
        Spelling<T>.AliasesOf.TryGetValue(value, out var aliases) ? aliases : [];

    /// <summary>The value <paramref name="text"/> names (its name or an alias, in any case), if it names one.</summary>
    public static bool TryParse<T>(string? text, out T value) where T : struct, Enum
    {
        value = default;
        return text is not null && Spelling<T>.ByText.TryGetValue(text, out value);
    }

    /// <summary>The value <paramref name="text"/> names; else a <see cref="SettingException"/> naming <paramref name="setting"/> (Core's snake_case word) and the names accepted.</summary>
    public static T Parse<T>(string setting, string? text) where T : struct, Enum =>
        TryParse(text, out T value) ? value : throw new SettingException(setting, text, Expected<T>());

    /// <summary>The rule an unknown name breaks: "expected a, b or c".</summary>
    public static string Expected<T>() where T : struct, Enum => "expected " + Listing(Spelling<T>.Names);

    private static string Listing(IReadOnlyList<string> names) =>
        names.Count <= 1 ? string.Concat(names) : $"{string.Join(", ", names.Take(names.Count - 1))} or {names[^1]}";

    /// <summary>One enum's names and aliases, read once from its members.</summary>
    private static class Spelling<T> where T : struct, Enum
    {
        public static readonly IReadOnlyList<T> Values = Enum.GetValues<T>();
        public static readonly FrozenDictionary<T, string> NameOf = Values.ToFrozenDictionary(v => v, v => NameFrom(Field(v)));
        public static readonly IReadOnlyList<string> Names = [.. Values.Select(v => NameOf[v])];

        public static readonly FrozenDictionary<T, IReadOnlyList<string>> AliasesOf = Values.ToFrozenDictionary(
            v => v, v => (IReadOnlyList<string>)[.. Field(v).GetCustomAttributes<ChoiceAliasAttribute>().Select(a => a.Alias)]);

        public static readonly FrozenDictionary<string, T> ByText = Values
            .SelectMany(v => AliasesOf[v].Prepend(NameOf[v]).Select(text => KeyValuePair.Create(text, v)))
            .ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

        private static FieldInfo Field(T value) => typeof(T).GetField(Enum.GetName(value)!, BindingFlags.Public | BindingFlags.Static)!;

        /// <summary>What <see cref="Json"/>'s enum converter writes for the member.</summary>
        private static string NameFrom(FieldInfo field) =>
            field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(field.Name);
    }
}
