using System.Globalization;
using System.Text;
using Mnist.Core.Infrastructure;
using Npgsql;

namespace Mnist.Core.Tuning;

/// <summary>Where a study is stored: one SQLite file, or a PostgreSQL database shared by workers on many machines.</summary>
public enum StorageKind
{
    Sqlite,
    Postgres,
}

/// <summary>
/// A <c>--storage</c> value, parsed:
/// <list type="bullet">
/// <item><c>postgresql://user:password@host:port/database?sslmode=require</c> (or <c>postgres://</c>): user and
/// password are percent-decoded, the port defaults to 5432, several hosts may be given as <c>h1:p1,h2:p2</c>, and
/// query parameters take libpq's names (<c>sslmode</c>, <c>connect_timeout</c>, <c>application_name</c>, ...) or an
/// Npgsql keyword (<c>Pooling</c>, <c>command_timeout</c>, ...); any other is an error that names it.</item>
/// <item><c>sqlite:///PATH</c> as SQLAlchemy and Optuna write it (<c>sqlite:///study.db</c> is relative,
/// <c>sqlite:////abs/study.db</c> absolute), or a plain path ending in <c>.db</c>.</item>
/// </list>
/// The password is never shown: <see cref="Display"/>, <see cref="ToString"/> and every error mask it.
/// </summary>
public sealed class StorageUrl
{
    private const string Masked = "***";
    private const string SqlitePrefix = "sqlite:///";

    private static readonly string[] PostgresSchemes = ["postgresql://", "postgres://"];

    /// <summary>libpq's URL parameters and the Npgsql keyword each one maps to.</summary>
    private static readonly Dictionary<string, string> LibpqKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["host"] = "Host",
        ["port"] = "Port",
        ["dbname"] = "Database",
        ["user"] = "Username",
        ["password"] = "Password",
        ["passfile"] = "Passfile",
        ["sslmode"] = "SSL Mode",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["sslpassword"] = "SSL Password",
        ["sslrootcert"] = "Root Certificate",
        ["sslnegotiation"] = "SSL Negotiation",
        ["channel_binding"] = "Channel Binding",
        ["gssencmode"] = "GSS Encryption Mode",
        ["krbsrvname"] = "Kerberos Service Name",
        ["require_auth"] = "Require Auth",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["options"] = "Options",
        ["client_encoding"] = "Client Encoding",
        ["target_session_attrs"] = "Target Session Attributes",
        ["load_balance_hosts"] = "Load Balance Hosts",
        ["keepalives"] = "Tcp Keepalive",
        ["keepalives_idle"] = "Tcp Keepalive Time",
        ["keepalives_interval"] = "Tcp Keepalive Interval",
    };

    /// <summary>Parameters whose values are secrets: masked like the password.</summary>
    private static readonly HashSet<string> SecretParameters = new(StringComparer.OrdinalIgnoreCase) { "password", "sslpassword", "ssl password", "ssl_password" };

    // The URL without its path and query (scheme and authority, as given) and its query (with the '?', as given):
    // what WithDatabase keeps.
    private string AuthorityPart { get; init; } = "";

    private string QueryPart { get; init; } = "";

    private StorageUrl(string value, StorageKind kind, string display)
    {
        Value = value;
        Kind = kind;
        Display = display;
    }

    /// <summary>The value as given. It holds the password: show <see cref="Display"/> instead.</summary>
    public string Value { get; }

    public StorageKind Kind { get; }

    public bool IsPostgres => Kind == StorageKind.Postgres;

    public bool IsSqlite => Kind == StorageKind.Sqlite;

    /// <summary>The value with the password (and any other secret parameter) replaced by <c>***</c>.</summary>
    public string Display { get; }

    /// <summary>The SQLite file (as given: relative paths are relative to the working folder); null for PostgreSQL.</summary>
    public string? SqlitePath { get; private init; }

    /// <summary>The Npgsql connection string (with the password); null for SQLite.</summary>
    public string? ConnectionString { get; private init; }

    /// <summary>PostgreSQL's host (or <c>h1:p1,h2:p2</c> for several); null for SQLite.</summary>
    public string? Host { get; private init; }

    /// <summary>PostgreSQL's port (5432 unless given); null for SQLite.</summary>
    public int? Port { get; private init; }

    /// <summary>PostgreSQL's database; null when not given (the server then takes the user's name) and for SQLite.</summary>
    public string? Database { get; private init; }

    /// <summary>PostgreSQL's user; null when not given and for SQLite.</summary>
    public string? Username { get; private init; }

    public override string ToString() => Display;

    /// <summary>Parses a <c>--storage</c> value; an <see cref="ArgumentException"/> names the value (masked) and what was expected.</summary>
    public static StorageUrl Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var trimmed = value.Trim();
        if (trimmed.Length == 0) throw Error(value, "empty; " + Expected);

        if (PostgresSchemes.FirstOrDefault(s => trimmed.StartsWith(s, StringComparison.OrdinalIgnoreCase)) is { } scheme)
        {
            return ParsePostgres(trimmed, scheme.Length);
        }
        if (trimmed.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            if (!trimmed.StartsWith(SqlitePrefix, StringComparison.OrdinalIgnoreCase) || trimmed.Length == SqlitePrefix.Length)
            {
                throw Error(value, "expected sqlite:///PATH (three slashes, then the file: sqlite:///study.db, or sqlite:////abs/study.db)");
            }
            return new StorageUrl(trimmed, StorageKind.Sqlite, trimmed) { SqlitePath = trimmed[SqlitePrefix.Length..] };
        }
        if (SchemeOf(trimmed) is { } other) throw Error(value, $"unknown scheme '{other}'; {Expected}");
        if (trimmed.EndsWith(".db", StringComparison.OrdinalIgnoreCase))
        {
            return new StorageUrl(trimmed, StorageKind.Sqlite, trimmed) { SqlitePath = trimmed };
        }
        throw Error(value, Expected);
    }

    /// <summary>Parses, or returns false with the error's message.</summary>
    public static bool TryParse(string value, out StorageUrl? url, out string? error)
    {
        try
        {
            url = Parse(value);
            error = null;
            return true;
        }
        catch (ArgumentException e)
        {
            url = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>The same PostgreSQL server, user and parameters, another database.</summary>
    public StorageUrl WithDatabase(string database)
    {
        ArgumentException.ThrowIfNullOrEmpty(database);
        if (!IsPostgres) throw new SettingException("storage", Display, "not a PostgreSQL URL, it has no database to change");
        return Parse(AuthorityPart + "/" + Uri.EscapeDataString(database) + QueryPart);
    }

    /// <summary>
    /// A storage value, or anything that looks like one, with the password and secret parameters masked;
    /// works on values that do not parse, for error messages and logs.
    /// </summary>
    public static string Mask(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0) return value;
        var start = schemeEnd + 3;
        var (authorityEnd, queryStart) = Boundaries(value, start);
        var masked = new StringBuilder(value.Length);
        masked.Append(value, 0, start);
        var authority = value[start..authorityEnd];
        var at = authority.LastIndexOf('@');
        if (at >= 0 && authority.IndexOf(':', 0, at) is var colon and >= 0)
        {
            masked.Append(authority, 0, colon + 1).Append(Masked).Append(authority, at, authority.Length - at);
        }
        else
        {
            masked.Append(authority);
        }
        masked.Append(value, authorityEnd, (queryStart < 0 ? value.Length : queryStart) - authorityEnd);
        if (queryStart >= 0)
        {
            masked.Append('?').Append(string.Join('&', value[(queryStart + 1)..].Split('&').Select(MaskParameter)));
        }
        return masked.ToString();
    }

    private const string Expected = "expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE, sqlite:///PATH or a file path ending in .db";

    private static StorageUrl ParsePostgres(string value, int start)
    {
        var (authorityEnd, queryStart) = Boundaries(value, start);
        var authority = value[start..authorityEnd];
        var path = value[authorityEnd..(queryStart < 0 ? value.Length : queryStart)];
        var query = queryStart < 0 ? "" : value[(queryStart + 1)..];
        var builder = new NpgsqlConnectionStringBuilder { Port = 5432 };

        var at = authority.LastIndexOf('@');
        var hosts = authority;
        if (at >= 0)
        {
            var userInfo = authority[..at];
            hosts = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Decode(value, colon < 0 ? userInfo : userInfo[..colon], "the user");
            if (user.Length > 0) builder.Username = user;
            if (colon >= 0) builder.Password = Decode(value, userInfo[(colon + 1)..], "the password");
        }
        if (hosts.Length > 0) SetHosts(value, hosts, builder);

        if (path.Length > 1)
        {
            var database = Decode(value, path[1..], "the database");
            if (database.Contains('/', StringComparison.Ordinal)) throw Error(value, $"the database '{database}' has a '/'; expected postgresql://HOST:PORT/DATABASE");
            builder.Database = database;
        }

        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw Error(value, $"the query parameter '{MaskParameter(pair)}' has no value; expected NAME=VALUE");
            var name = Decode(value, pair[..eq], "a query parameter's name");
            var raw = Decode(value, pair[(eq + 1)..], $"the query parameter '{name}'");
            SetParameter(value, builder, name, raw);
        }

        if (string.IsNullOrEmpty(builder.Host)) throw Error(value, "no host; expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE (or ?host=/unix/socket/dir)");

        return new StorageUrl(value, StorageKind.Postgres, Mask(value))
        {
            ConnectionString = builder.ConnectionString,
            Host = builder.Host,
            Port = builder.Port,
            Database = builder.Database,
            Username = builder.Username,
            AuthorityPart = value[..authorityEnd],
            QueryPart = queryStart < 0 ? "" : value[queryStart..],
        };
    }

    /// <summary>One host, <c>[ipv6]</c>, or several separated by commas, each with an optional port.</summary>
    private static void SetHosts(string value, string hosts, NpgsqlConnectionStringBuilder builder)
    {
        var parsed = new List<(string Host, int? Port)>();
        foreach (var spec in hosts.Split(','))
        {
            string host;
            string? port = null;
            if (spec.StartsWith('['))
            {
                var close = spec.IndexOf(']', StringComparison.Ordinal);
                if (close < 0) throw Error(value, $"the host '{spec}' has no closing ']'; expected [IPV6]:PORT");
                host = spec[1..close];
                var after = spec[(close + 1)..];
                if (after.Length > 0)
                {
                    if (after[0] != ':') throw Error(value, $"unexpected '{after}' after the host [{host}]; expected [IPV6]:PORT");
                    port = after[1..];
                }
            }
            else
            {
                var colon = spec.LastIndexOf(':');
                host = colon < 0 ? spec : spec[..colon];
                if (colon >= 0) port = spec[(colon + 1)..];
            }
            host = Decode(value, host, "the host");
            if (host.Length == 0) throw Error(value, $"an empty host in '{hosts}'; expected HOST:PORT");
            int? portNumber = null;
            if (port is not null)
            {
                if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
                {
                    throw Error(value, $"the port '{port}' is not a number from 1 to 65535");
                }
                portNumber = p;
            }
            parsed.Add((host, portNumber));
        }
        if (parsed.Count == 1)
        {
            builder.Host = parsed[0].Host;
            builder.Port = parsed[0].Port ?? 5432;
        }
        else
        {
            // Npgsql's own multi-host form: "h1:p1,h2:p2" (IPv6 addresses in brackets).
            builder.Host = string.Join(',', parsed.Select(h =>
                (h.Host.Contains(':', StringComparison.Ordinal) ? $"[{h.Host}]" : h.Host) + (h.Port is { } p ? ":" + p.ToString(CultureInfo.InvariantCulture) : "")));
            builder.Port = 5432;
        }
    }

    private static void SetParameter(string value, NpgsqlConnectionStringBuilder builder, string name, string raw)
    {
        string keyword;
        object setting = raw;
        if (LibpqKeywords.TryGetValue(name, out var mapped))
        {
            keyword = mapped;
            setting = name.ToUpperInvariant() switch
            {
                // libpq spells these as words or 0/1; Npgsql takes enum names and booleans.
                "SSLMODE" or "GSSENCMODE" => raw.Replace("-", "", StringComparison.Ordinal),
                "KEEPALIVES" => raw switch { "1" => "true", "0" => "false", _ => raw },
                "LOAD_BALANCE_HOSTS" => raw.ToUpperInvariant() switch { "RANDOM" => "true", "DISABLE" => "false", _ => raw },
                _ => raw,
            };
        }
        else if (IsNpgsqlKeyword(name.Replace('_', ' ')))
        {
            keyword = name.Replace('_', ' ');
        }
        else
        {
            throw Error(value, $"unknown query parameter '{name}'; expected a libpq parameter ({string.Join(", ", LibpqKeywords.Keys.Order(StringComparer.Ordinal))}) or an Npgsql connection-string keyword");
        }
        var shown = SecretParameters.Contains(name) ? Masked : raw;
        try
        {
            builder[keyword] = setting;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw Error(value, $"the query parameter {name}={shown} is not valid for {keyword}: {e.Message}");
        }
    }

    private static bool IsNpgsqlKeyword(string keyword)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder().ContainsKey(keyword);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Where the authority ends (the first '/' or '?' after the last '@' before them) and where the query starts (-1: none).</summary>
    private static (int AuthorityEnd, int QueryStart) Boundaries(string value, int start)
    {
        // A password may hold a raw '@' or '?': the userinfo ends at the last '@' before the first '/'.
        var slash = value.IndexOf('/', start);
        var limit = slash < 0 ? value.Length : slash;
        var at = value.LastIndexOf('@', limit - 1, limit - start);
        var hostStart = at < 0 ? start : at + 1;
        var authorityEnd = value.IndexOfAny(['/', '?'], hostStart);
        if (authorityEnd < 0) authorityEnd = value.Length;
        var queryStart = value.IndexOf('?', authorityEnd);
        return (authorityEnd, queryStart);
    }

    private static string MaskParameter(string pair)
    {
        var eq = pair.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0) return pair;
        string name;
        try
        {
            name = Uri.UnescapeDataString(pair[..eq]);
        }
        catch (UriFormatException)
        {
            name = pair[..eq];
        }
        return SecretParameters.Contains(name) ? pair[..(eq + 1)] + Masked : pair;
    }

    private static string Decode(string value, string part, string what)
    {
        // Uri.UnescapeDataString leaves a malformed escape such as "%zz" as it is, which libpq refuses: so do we.
        for (var i = part.IndexOf('%', StringComparison.Ordinal); i >= 0; i = part.IndexOf('%', i + 1))
        {
            if (i + 2 >= part.Length || !Uri.IsHexDigit(part[i + 1]) || !Uri.IsHexDigit(part[i + 2]))
            {
                throw Error(value, $"{what} has a malformed percent escape; expected %XX with two hex digits (write '%' as %25)");
            }
        }
        return Uri.UnescapeDataString(part);
    }

    private static string? SchemeOf(string value)
    {
        var end = value.IndexOf("://", StringComparison.Ordinal);
        if (end <= 0) return null;
        var scheme = value[..end];
        return char.IsAsciiLetter(scheme[0]) && scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.') ? scheme : null;
    }

    private static SettingException Error(string value, string problem) => new("storage", Mask(value), problem);
}
