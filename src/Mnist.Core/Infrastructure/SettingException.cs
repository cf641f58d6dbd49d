using System.Globalization;

namespace Mnist.Core.Infrastructure;

/// <summary>
/// A setting with a value it cannot take, named in Core's own words (<see cref="Setting"/>: the
/// snake_case name the model files and JSON use, such as <c>epochs</c> or <c>max_body_bytes</c>).
/// The command line and the web app translate the name to their own (a flag, a field).
/// </summary>
public sealed class SettingException : ArgumentException
{
    public SettingException(string setting, object? value, string rule)
        : base(string.Create(CultureInfo.InvariantCulture, $"{setting} = {value}: {rule}"))
    {
        Setting = setting;
        Value = value;
        Rule = rule;
    }

    public SettingException()
    {
        Setting = Rule = "";
    }

    public SettingException(string message)
        : base(message)
    {
        Setting = Rule = "";
    }

    public SettingException(string message, Exception innerException)
        : base(message, innerException)
    {
        Setting = Rule = "";
    }

    public string Setting { get; }
    public object? Value { get; }
    public string Rule { get; }

    /// <summary>Throws unless <paramref name="ok"/>.</summary>
    public static void Check(bool ok, string setting, object? value, string rule)
    {
        if (!ok) throw new SettingException(setting, value, rule);
    }
}
