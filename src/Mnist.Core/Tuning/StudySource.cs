using System.Collections.Concurrent;

namespace Mnist.Core.Tuning;

/// <summary>What a <see cref="StudySource"/> reads: one database of studies, one study file, or a folder of study files.</summary>
public enum StudySourceKind
{
    /// <summary>A PostgreSQL database: every study in it (or the one named).</summary>
    PostgresDatabase,

    /// <summary>One SQLite file: its one study.</summary>
    SqliteFile,

    /// <summary>A folder: every <c>NAME.db</c> in it, each a study named NAME.</summary>
    SqliteFolder,
}

/// <summary>
/// The studies a reader (such as <c>mnist dashboard</c>) watches, opened read-only so that the workers of a
/// running search are never blocked or changed:
/// <list type="bullet">
/// <item>a <c>postgresql://</c> storage: every study in the database (only <c>study</c> when one is named);</item>
/// <item>a <c>sqlite:///PATH</c> storage (or a path ending in .db): the study in that file;</item>
/// <item>no storage and <c>study</c> DIR/NAME (or DIR/NAME.db): that SQLite study;</item>
/// <item>no storage and <c>study</c> an existing folder DIR: every DIR/NAME.db, appearing as searches make them.</item>
/// </list>
/// SQLite files are opened for each read and closed after it (a study file replaced meanwhile is read anew);
/// PostgreSQL stores are kept, one per study, and each read takes a pooled read-only session of its own.
/// The source is safe for concurrent use.
/// </summary>
public sealed class StudySource : IDisposable
{
    /// <summary>How long a read of a PostgreSQL database retries a lost connection before it reports the database unreachable.</summary>
    public static readonly TimeSpan PostgresRetryFor = TimeSpan.FromSeconds(5);

    private readonly string? _connection;   // PostgreSQL
    private readonly string? _only;         // PostgreSQL: the one study asked for, if any
    private readonly string? _path;         // a SQLite file, or a folder of them
    private readonly ConcurrentDictionary<string, PostgresStudyStore> _stores = new(StringComparer.Ordinal);
    private readonly Lazy<PostgresStudyStore>? _lister;
    private int _disposed;

    private StudySource(StudySourceKind kind, string display, string? connection = null, string? only = null, string? path = null)
    {
        Kind = kind;
        Display = display;
        _connection = connection;
        _only = only;
        _path = path;
        if (connection is not null) _lister = new(() => PostgresStudyStore.ReaderOf(connection, PostgresRetryFor));
    }

    public StudySourceKind Kind { get; }

    /// <summary>Where the studies are, for people: a URL without its password, a file or a folder.</summary>
    public string Display { get; }

    /// <summary>
    /// The source that <paramref name="storage"/> (a storage URL, see <see cref="StorageUrl"/>) and <paramref name="study"/>
    /// (with a storage, one study's name; without, DIR/NAME of a SQLite study or a folder DIR of them) name. At least
    /// one is needed; a URL that does not parse is a <see cref="Infrastructure.SettingException"/> naming it, a
    /// SQLite study that is not there a <see cref="FileNotFoundException"/> naming the file, a PostgreSQL server that
    /// cannot be reached within <see cref="PostgresRetryFor"/> a <see cref="StudyStoreUnavailableException"/>, one that
    /// refuses the connection an <see cref="InvalidOperationException"/> saying why, and a study named that the
    /// database lacks a <see cref="StudyNotFoundException"/>.
    /// </summary>
    public static StudySource Open(string? storage, string? study)
    {
        if (string.IsNullOrWhiteSpace(storage) && string.IsNullOrWhiteSpace(study))
        {
            throw new ArgumentException("no studies to read: give a storage URL (postgresql://..., sqlite:///PATH.db) or a study (DIR/NAME of a SQLite study, or a folder DIR of them)");
        }
        if (!string.IsNullOrWhiteSpace(storage))
        {
            var url = StorageUrl.Parse(storage);
            var only = string.IsNullOrWhiteSpace(study) ? null : study;
            if (url.IsPostgres)
            {
                var database = new StudySource(StudySourceKind.PostgresDatabase, url.Display, connection: url.Value, only: only);
                try
                {
                    // Reached now, so that a server out of reach, a database or user it refuses, or a study it lacks is an error at once.
                    var names = database._lister!.Value.StudiesInDatabase();
                    if (only is not null && !names.Contains(only)) throw database.NotFound(only, names);
                    return database;
                }
                catch
                {
                    database.Dispose();
                    throw;
                }
            }
            var file = Path.GetFullPath(url.SqlitePath!);
            var source = new StudySource(StudySourceKind.SqliteFile, file, path: file);
            var name = source.FileStudyName();
            if (only is not null && only != name) throw new StudyNotFoundException($"{file}: holds study '{name}', not '{only}'");
            return source;
        }
        var given = study!;
        if (Directory.Exists(given)) return new StudySource(StudySourceKind.SqliteFolder, Path.GetFullPath(given), path: Path.GetFullPath(given));
        var path = Path.GetFullPath(SqliteStudyStore.Resolve(given));
        var single = new StudySource(StudySourceKind.SqliteFile, path, path: path);
        single.FileStudyName(); // a missing file or one that is no study is an error now, not at the first read
        return single;
    }

    /// <summary>
    /// The names of the studies there now, in order. In a folder, a file still being made (no study in it yet) is
    /// left out until it holds one.
    /// </summary>
    public IReadOnlyList<string> Names()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        switch (Kind)
        {
            case StudySourceKind.PostgresDatabase:
                var names = _lister!.Value.StudiesInDatabase();
                return _only is null ? names : names.Where(n => n == _only).ToList();
            case StudySourceKind.SqliteFile:
                return [FileStudyName()];
            default:
                return Directory.EnumerateFiles(_path!, "*.db")
                    .Where(IsStudyFile)
                    .Select(f => Path.GetFileNameWithoutExtension(f))
                    .Order(StringComparer.Ordinal)
                    .ToList();
        }
    }

    /// <summary>
    /// Runs <paramref name="read"/> on the study <paramref name="name"/>, opened read-only. A name that is not one of
    /// <see cref="Names"/> is a <see cref="StudyNotFoundException"/> that names it and the source.
    /// </summary>
    public T Read<T>(string name, Func<IStudyStore, T> read)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(read);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        switch (Kind)
        {
            case StudySourceKind.PostgresDatabase:
                if (_only is not null && name != _only) throw NotFound(name, [_only]);
                var store = _stores.GetOrAdd(name, n =>
                {
                    try
                    {
                        return PostgresStudyStore.OpenReadOnly(_connection!, n, PostgresRetryFor);
                    }
                    catch (StudyNotFoundException)
                    {
                        throw NotFound(n, Names());
                    }
                });
                return read(store);
            case StudySourceKind.SqliteFile:
            {
                using var file = SqliteStudyStore.OpenReadOnly(_path!);
                if (file.Definition.Name != name) throw NotFound(name, [file.Definition.Name]);
                return read(file);
            }
            default:
            {
                if (!IsPlainName(name)) throw NotFound(name, Names());
                var path = Path.Combine(_path!, name + ".db");
                if (!File.Exists(path)) throw NotFound(name, Names());
                SqliteStudyStore file;
                try
                {
                    file = SqliteStudyStore.OpenReadOnly(path);
                }
                catch (InvalidDataException)
                {
                    throw NotFound(name, Names()); // a file being made holds no study yet
                }
                using (file) return read(file);
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var store in _stores.Values) store.Dispose();
        _stores.Clear();
        if (_lister is { IsValueCreated: true }) _lister.Value.Dispose();
    }

    /// <summary>A study's name as a folder holds it: a file name of its own, nothing that leaves the folder.</summary>
    internal static bool IsPlainName(string name) =>
        name.Length > 0 && !name.StartsWith('.') && name.IndexOfAny(['/', '\\']) < 0 && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;

    private string FileStudyName()
    {
        using var store = SqliteStudyStore.OpenReadOnly(_path!);
        return store.Definition.Name;
    }

    private static bool IsStudyFile(string path)
    {
        try
        {
            using var store = SqliteStudyStore.OpenReadOnly(path);
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            return false;
        }
    }

    private StudyNotFoundException NotFound(string name, IReadOnlyList<string> names) =>
        new($"{Display}: no study '{name}' there; " + (names.Count == 0
            ? "it holds no studies yet"
            : $"it holds {string.Join(", ", names.Select(n => $"'{n}'"))}"));
}
