using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mnist.Core.Infrastructure;

/// <summary>
/// One JSON convention for every file and every --json output: snake_case, indented, text as it is
/// (an apostrophe or a non-ASCII letter is written, not escaped; no JSON here is embedded in HTML).
/// </summary>
public static class Json
{
    public static JsonSerializerOptions Options { get; } = Create(indented: true);

    /// <summary>The same convention on one line (JSON Lines output).</summary>
    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    public static string Serialize<T>(T value, bool indented = true) =>
        JsonSerializer.Serialize(value, indented ? Options : Compact);

    public static T Deserialize<T>(string json, string source) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"{source}: empty JSON document");

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = indented,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
