namespace Mnist.Core.Tuning;

/// <summary>
/// Opens a study where <c>--storage</c> says: by default the SQLite file <c>OUT/STUDY.db</c>; a
/// <c>postgresql://</c> URL, the named study in that database (shared by workers on many machines);
/// a <c>sqlite:///PATH</c> URL (or a path ending in .db), that SQLite file.
/// </summary>
public static class StudyStorage
{
    /// <summary>
    /// The store of <paramref name="study"/>, to create or reopen with <see cref="IStudyStore.OpenOrCreate"/>;
    /// <paramref name="onRetry"/> hears of each call a PostgreSQL store retries (the server was unreachable).
    /// </summary>
    public static IStudyStore Open(string? storage, string outDir, string study, Action<string>? onRetry = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(study);
        if (storage is null)
        {
            ArgumentException.ThrowIfNullOrEmpty(outDir);
            return new SqliteStudyStore(SqliteStudyStore.FileFor(outDir, study));
        }
        var url = StorageUrl.Parse(storage);
        return url.IsPostgres ? new PostgresStudyStore(url.Value, study) { OnRetry = onRetry } : new SqliteStudyStore(url.SqlitePath!);
    }

    /// <summary>
    /// An existing study, for reading. Without <paramref name="storage"/>, <paramref name="study"/> is DIR/NAME (or
    /// DIR/NAME.db) of a SQLite study; with it, the study named <paramref name="study"/> in that storage.
    /// </summary>
    public static IStudyStore OpenExisting(string? storage, string study)
    {
        ArgumentException.ThrowIfNullOrEmpty(study);
        if (storage is null) return SqliteStudyStore.OpenExisting(SqliteStudyStore.Resolve(study));
        var url = StorageUrl.Parse(storage);
        if (url.IsPostgres) return PostgresStudyStore.OpenExisting(url.Value, study);
        var store = SqliteStudyStore.OpenExisting(url.SqlitePath!);
        if (store.Definition.Name != study)
        {
            var name = store.Definition.Name;
            store.Dispose();
            throw new StudyNotFoundException($"{store.Location}: holds study '{name}', not '{study}'");
        }
        return store;
    }

    /// <summary>
    /// The studies that <paramref name="storage"/> and <paramref name="studyPath"/> name, by name: a PostgreSQL
    /// database, every study in it; a SQLite file, its one study; DIR/NAME, that study; a folder DIR, every DIR/NAME.db
    /// (<see cref="StudySource"/>, which also opens them read-only).
    /// </summary>
    public static IReadOnlyList<string> List(string? storage, string? studyPath)
    {
        using var source = StudySource.Open(storage, studyPath);
        return source.Names();
    }
}
