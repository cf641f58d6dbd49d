using System.Text;

namespace Mnist.Core.Infrastructure;

/// <summary>
/// RFC 4180 CSV: fields separated by commas, records ended by CRLF; a field holding a comma, a
/// double quote, a CR or an LF is quoted, its quotes doubled. <see cref="Parse"/> reads it back
/// (and records ended by a bare LF as well).
/// </summary>
public static class Csv
{
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        return value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>One record and its CRLF.</summary>
    public static string Record(IEnumerable<string?> fields) => string.Join(',', fields.Select(Field)) + "\r\n";

    /// <summary>The records of a CSV text, each a list of its fields unquoted.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var records = new List<IReadOnlyList<string>>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        var quoted = false;
        while (i < text.Length)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                if (c == '"') { quoted = false; i++; continue; }
                field.Append(c);
                i++;
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    i++;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    i++;
                    break;
                case '\r' or '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    records.Add(fields);
                    fields = [];
                    i += c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                    break;
                default:
                    field.Append(c);
                    i++;
                    break;
            }
        }
        if (quoted) throw new InvalidDataException("CSV: a quoted field is not closed");
        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            records.Add(fields);
        }
        return records;
    }
}
