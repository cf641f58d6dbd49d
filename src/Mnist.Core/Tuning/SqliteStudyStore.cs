using Microsoft.Data.Sqlite;
using Mnist.Core.Infrastructure;
using Mnist.Core.Training;

namespace Mnist.Core.Tuning;

/// <summary>
/// A study in one SQLite file (WAL mode): the study's definition, every trial's
/// hyperparameters, status, score, timings, worker and heartbeat, and per-epoch metrics.
/// Every change is one transaction; claims take the write lock first (BEGIN IMMEDIATE).
/// </summary>
public sealed class SqliteStudyStore : IStudyStore
{
    private readonly SqliteConnection _db;
    private readonly Lock _gate = new(); // one connection, used by the worker and its heartbeat timer
    private StudyDefinition? _definition;

    /// <summary>How long a read-only reader waits for a lock (WAL readers wait only while a writer recovers or truncates the log).</summary>
    public static readonly TimeSpan ReadOnlyBusyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The trials' columns added after the first studies were stored (pruning, Hyperband), with their types.</summary>
    private static readonly (string Column, string Type)[] AddedColumns = [("epochs", "REAL"), ("rung", "INTEGER"), ("plan", "TEXT")];

    public SqliteStudyStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false, DefaultTimeout = 60 }.ToString());
        _db.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=60000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
        Execute("""
            CREATE TABLE IF NOT EXISTS study (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS trials (
                id INTEGER PRIMARY KEY,
                status TEXT NOT NULL,
                hyperparameters TEXT NOT NULL,
                unit TEXT NOT NULL,
                score REAL, best_epoch INTEGER, message TEXT,
                worker TEXT, heartbeat_ms INTEGER, started_ms INTEGER, finished_ms INTEGER, seconds REAL,
                attempts INTEGER NOT NULL DEFAULT 0, epochs REAL, rung INTEGER, plan TEXT);
            CREATE TABLE IF NOT EXISTS epochs (
                trial_id INTEGER NOT NULL REFERENCES trials(id), attempt INTEGER NOT NULL, epoch INTEGER NOT NULL,
                loss REAL, accuracy REAL, val_loss REAL, val_accuracy REAL, learning_rate REAL, seconds REAL,
                PRIMARY KEY (trial_id, attempt, epoch));
            CREATE TABLE IF NOT EXISTS intermediate (
                trial_id INTEGER NOT NULL REFERENCES trials(id), attempt INTEGER NOT NULL, rung INTEGER NOT NULL,
                epochs REAL NOT NULL, value REAL NOT NULL,
                PRIMARY KEY (trial_id, attempt, rung));
            CREATE TABLE IF NOT EXISTS trial_state (trial_id INTEGER PRIMARY KEY REFERENCES trials(id), state BLOB NOT NULL);
            """);
        // Studies made before pruning: add its columns.
        var columns = new HashSet<string>();
        using (var info = Command("PRAGMA table_info(trials)", null))
        using (var r = info.ExecuteReader())
        {
            while (r.Read()) columns.Add(r.GetString(1));
        }
        foreach (var (column, type) in AddedColumns)
        {
            if (columns.Contains(column)) continue;
            try
            {
                Execute($"ALTER TABLE trials ADD COLUMN {column} {type}");
            }
            catch (SqliteException e) when (e.Message.Contains("duplicate column", StringComparison.OrdinalIgnoreCase))
            {
                // another worker added it a moment ago
            }
        }
    }

    /// <summary>
    /// A connection that only reads (SQLite's read-only mode: no schema made, nothing written, no write lock
    /// ever taken), so that a reader such as <c>mnist dashboard</c> never blocks the workers of a running study.
    /// In WAL mode readers and the writer do not wait for each other; <see cref="ReadOnlyBusyTimeout"/> covers
    /// the moments a writer recovers or truncates the log.
    /// </summary>
    private SqliteStudyStore(string path, bool readOnly)
    {
        Path = System.IO.Path.GetFullPath(path);
        IsReadOnly = readOnly;
        _db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = (int)ReadOnlyBusyTimeout.TotalSeconds,
        }.ToString());
        _db.Open();
        Execute($"PRAGMA busy_timeout={(long)ReadOnlyBusyTimeout.TotalMilliseconds};");
    }

    /// <summary>True for a store opened by <see cref="OpenReadOnly"/>.</summary>
    public bool IsReadOnly { get; }

    public string Location => Path;

    public string Path { get; }

    public StudyDefinition Definition => _definition ?? throw new InvalidOperationException($"{Path}: study not opened");

    /// <summary>The study file of <c>--study NAME</c> in <c>--out DIR</c>.</summary>
    public static string FileFor(string dir, string study) => System.IO.Path.Combine(dir, study + ".db");

    /// <summary>A path given as DIR/NAME or DIR/NAME.db.</summary>
    public static string Resolve(string pathOrName) =>
        File.Exists(pathOrName) || pathOrName.EndsWith(".db", StringComparison.Ordinal) ? pathOrName : pathOrName + ".db";

    public void OpenOrCreate(StudyDefinition definition)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            var stored = Scalar("SELECT value FROM study WHERE key = 'definition'", tx) as string;
            if (stored is null)
            {
                Execute("INSERT INTO study(key, value) VALUES ('definition', $v), ('created_utc', $c)", tx,
                    ("$v", Json.Serialize(definition, indented: false)), ("$c", DateTimeOffset.UtcNow.ToString("O")));
                _definition = definition;
            }
            else
            {
                var existing = Json.Deserialize<StudyDefinition>(stored, Path);
                existing.CheckSameAs(definition, Path);
                _definition = existing;
            }
            tx.Commit();
        }
    }

    /// <summary>
    /// Opens an existing study read-only (<see cref="IsReadOnly"/>): every write throws, and nothing of the file
    /// changes. A file that is not yet (or not) a study is an <see cref="InvalidDataException"/> naming it; a study
    /// made before the schema's last columns were added is one too (any read-write opening upgrades it).
    /// </summary>
    public static SqliteStudyStore OpenReadOnly(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such study (pass DIR/NAME of a study made by mnist tune)", path);
        var store = new SqliteStudyStore(path, readOnly: true);
        try
        {
            string? stored;
            var columns = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                stored = store.Scalar("SELECT value FROM study WHERE key = 'definition'", null) as string;
                using var info = store.Command("PRAGMA table_info(trials)", null);
                using var r = info.ExecuteReader();
                while (r.Read()) columns.Add(r.GetString(1));
            }
            catch (SqliteException e) when (e.SqliteErrorCode is 1 or 26) // SQLITE_ERROR (no such table), SQLITE_NOTADB
            {
                throw new InvalidDataException($"{store.Path}: not a study database ({e.Message})", e);
            }
            if (stored is null) throw new InvalidDataException($"{store.Path}: not a study database (no definition)");
            if (columns.Count == 0) throw new InvalidDataException($"{store.Path}: not a study database (no trials table)");
            if (AddedColumns.Select(c => c.Column).FirstOrDefault(c => !columns.Contains(c)) is { } missing)
            {
                throw new InvalidDataException($"{store.Path}: a study stored by an older mnist (its trials have no {missing} column); `mnist study show` upgrades it");
            }
            store._definition = Json.Deserialize<StudyDefinition>(stored, store.Path);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing study for reading.</summary>
    public static SqliteStudyStore OpenExisting(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such study (pass DIR/NAME of a study made by mnist tune)", path);
        var store = new SqliteStudyStore(path);
        var stored = store.Scalar("SELECT value FROM study WHERE key = 'definition'", null) as string
                     ?? throw new InvalidDataException($"{path}: not a study database (no definition)");
        store._definition = Json.Deserialize<StudyDefinition>(stored, path);
        return store;
    }

    public TrialRecord? Claim(ClaimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            using var tx = _db.BeginTransaction(deferred: false);
            var now = NowMs();
            Execute("UPDATE trials SET status = 'queued', worker = NULL WHERE status = 'running' AND heartbeat_ms < $cutoff", tx,
                ("$cutoff", now - (long)request.StaleAfter.TotalMilliseconds));
            foreach (var (runningId, owner) in RunningOwners(tx).Where(o => o.Worker != request.Worker && request.OwnerIsDead(o.Worker)))
            {
                Execute("UPDATE trials SET status = 'queued', worker = NULL WHERE id = $id AND status = 'running'", tx, ("$id", runningId));
            }
            var queued = Scalar("SELECT id FROM trials WHERE status = 'queued' ORDER BY id LIMIT 1", tx);
            long id;
            var continued = false;
            if (queued is long q)
            {
                id = q;
            }
            else if (request.Schedule is { } schedule)
            {
                var decision = schedule(ReadTrials(tx));
                foreach (var retired in decision.Retire)
                {
                    Execute("UPDATE trials SET status = 'pruned', rung = (SELECT json_extract(plan, '$.round') FROM trials WHERE id = $id), finished_ms = $now WHERE id = $id AND status = 'paused'", tx,
                        ("$id", retired), ("$now", now));
                    Execute("DELETE FROM trial_state WHERE trial_id = $id", tx, ("$id", retired));
                }
                switch (decision)
                {
                    case ScheduleDecision.Start start:
                        id = (long)Scalar("SELECT COUNT(*) FROM trials", tx)!;
                        Execute("INSERT INTO trials(id, status, hyperparameters, unit, plan) VALUES ($id, 'queued', $hp, $unit, $plan)", tx,
                            ("$id", id), ("$hp", Json.Serialize(start.Proposal.Hyperparameters, indented: false)), ("$unit", Json.Serialize(start.Proposal.Unit, indented: false)),
                            ("$plan", Json.Serialize(start.Plan, indented: false)));
                        break;
                    case ScheduleDecision.Continue next:
                        id = next.TrialId;
                        continued = true;
                        Execute("UPDATE trials SET plan = $plan WHERE id = $id AND status = 'paused'", tx, ("$id", id), ("$plan", Json.Serialize(next.Plan, indented: false)));
                        break;
                    default:
                        tx.Commit();
                        return null;
                }
            }
            else
            {
                var count = (long)Scalar("SELECT COUNT(*) FROM trials", tx)!;
                if (count >= request.MaxTrials)
                {
                    tx.Commit();
                    return null;
                }
                var proposal = request.Propose(ReadTrials(tx));
                id = count;
                Execute("INSERT INTO trials(id, status, hyperparameters, unit) VALUES ($id, 'queued', $hp, $unit)", tx,
                    ("$id", id), ("$hp", Json.Serialize(proposal.Hyperparameters, indented: false)), ("$unit", Json.Serialize(proposal.Unit, indented: false)));
            }
            if (continued)
            {
                // A promoted trial goes on in the same attempt: its epochs and rung values so far stay its own.
                Execute("""
                    UPDATE trials SET status = 'running', worker = $w, heartbeat_ms = $now, finished_ms = NULL, message = NULL
                    WHERE id = $id
                    """, tx, ("$w", request.Worker), ("$now", now), ("$id", id));
            }
            else
            {
                Execute("""
                    UPDATE trials SET status = 'running', worker = $w, heartbeat_ms = $now, started_ms = COALESCE(CASE WHEN plan IS NOT NULL AND json_extract(plan, '$.round') > 0 THEN started_ms END, $now),
                        finished_ms = NULL, score = NULL, best_epoch = NULL, message = NULL, epochs = NULL, rung = NULL,
                        seconds = CASE WHEN plan IS NOT NULL AND json_extract(plan, '$.round') > 0 THEN seconds END,
                        attempts = CASE WHEN plan IS NOT NULL AND json_extract(plan, '$.round') > 0 THEN attempts ELSE attempts + 1 END
                    WHERE id = $id
                    """, tx, ("$w", request.Worker), ("$now", now), ("$id", id));
            }
            var trial = ReadTrials(tx, id).Single();
            tx.Commit();
            return trial;
        }
    }

    private List<(long Id, string Worker)> RunningOwners(SqliteTransaction tx)
    {
        using var cmd = Command("SELECT id, worker FROM trials WHERE status = 'running' AND worker IS NOT NULL", tx);
        using var r = cmd.ExecuteReader();
        var list = new List<(long, string)>();
        while (r.Read()) list.Add((r.GetInt64(0), r.GetString(1)));
        return list;
    }

    public bool Heartbeat(int trialId, string worker)
    {
        lock (_gate) return 1 == Execute("UPDATE trials SET heartbeat_ms = $now WHERE id = $id AND worker = $w AND status = 'running'", null,
            ("$now", NowMs()), ("$id", trialId), ("$w", worker));
    }

    public void ReportEpoch(int trialId, string worker, int attempt, EpochRecord e)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            Execute("""
                INSERT OR REPLACE INTO epochs(trial_id, attempt, epoch, loss, accuracy, val_loss, val_accuracy, learning_rate, seconds)
                VALUES ($t, $a, $e, $l, $acc, $vl, $va, $lr, $s)
                """, tx, ("$t", trialId), ("$a", attempt), ("$e", e.Epoch), ("$l", e.Loss), ("$acc", e.Accuracy), ("$vl", e.ValLoss),
                ("$va", e.ValAccuracy), ("$lr", e.LearningRate), ("$s", e.Seconds));
            Execute("UPDATE trials SET heartbeat_ms = $now WHERE id = $id AND worker = $w AND status = 'running'", tx,
                ("$now", NowMs()), ("$id", trialId), ("$w", worker));
            tx.Commit();
        }
    }

    public bool ReportIntermediate(int trialId, string worker, int attempt, RungValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            var owned = Execute("UPDATE trials SET heartbeat_ms = $now WHERE id = $id AND worker = $w AND status = 'running' AND attempts = $a", tx,
                ("$now", NowMs()), ("$id", trialId), ("$w", worker), ("$a", attempt)) == 1;
            if (owned)
            {
                Execute("INSERT OR REPLACE INTO intermediate(trial_id, attempt, rung, epochs, value) VALUES ($t, $a, $r, $e, $v)", tx,
                    ("$t", trialId), ("$a", attempt), ("$r", value.Rung), ("$e", value.Epochs), ("$v", value.Value));
            }
            tx.Commit();
            return owned;
        }
    }

    public IReadOnlyList<double> RungValues(int rung)
    {
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT i.value FROM intermediate i JOIN trials t ON t.id = i.trial_id AND t.attempts = i.attempt
                WHERE i.rung = $r AND t.status <> 'failed' ORDER BY i.trial_id
                """, null, ("$r", rung));
            using var r = cmd.ExecuteReader();
            var list = new List<double>();
            while (r.Read()) list.Add(r.GetDouble(0));
            return list;
        }
    }

    public void Release(int trialId, string worker)
    {
        lock (_gate) Execute("UPDATE trials SET status = 'queued', worker = NULL WHERE id = $id AND worker = $w AND status = 'running'", null,
            ("$id", trialId), ("$w", worker));
    }

    public bool SaveTrialState(int trialId, string worker, int attempt, byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_gate)
        {
            return Execute("""
                INSERT OR REPLACE INTO trial_state(trial_id, state)
                SELECT $id, $s FROM trials WHERE id = $id AND worker = $w AND status = 'running' AND attempts = $a
                """, null, ("$id", trialId), ("$s", state), ("$w", worker), ("$a", attempt)) == 1;
        }
    }

    public byte[]? LoadTrialState(int trialId)
    {
        lock (_gate) return Scalar("SELECT state FROM trial_state WHERE trial_id = $id", null, ("$id", trialId)) as byte[];
    }

    public IReadOnlyList<TrialRecord> Trials()
    {
        lock (_gate) return ReadTrials(null);
    }

    public IReadOnlyList<EpochRecord> Epochs(int trialId)
    {
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT epoch, loss, accuracy, val_loss, val_accuracy, learning_rate, seconds FROM epochs
                WHERE trial_id = $t AND attempt = (SELECT attempts FROM trials WHERE id = $t) ORDER BY epoch
                """, null, ("$t", trialId));
            return EpochRows.List(cmd.ExecuteReader());
        }
    }

    public IReadOnlyDictionary<int, IReadOnlyList<EpochRecord>> EpochsOfEveryTrial()
    {
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT e.trial_id, e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.learning_rate, e.seconds FROM epochs e
                JOIN trials t ON t.id = e.trial_id AND e.attempt = t.attempts ORDER BY e.trial_id, e.epoch
                """, null);
            return EpochRows.ByTrial(cmd.ExecuteReader());
        }
    }

    public void Dispose()
    {
        lock (_gate) _db.Dispose();
    }

    public bool Finish(int trialId, string worker, TrialResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        result.CheckEnds(trialId);
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            var changed = Execute("""
                UPDATE trials SET status = $s, score = $score, best_epoch = $be, message = $m, finished_ms = $now, seconds = $sec, heartbeat_ms = $now,
                    epochs = $ep, rung = $rung
                WHERE id = $id AND worker = $w AND status = 'running'
                """, tx, ("$s", TrialResult.StatusName(result.Status)), ("$score", result.Score), ("$be", result.BestEpoch), ("$m", result.Message), ("$now", NowMs()),
                ("$sec", result.Seconds), ("$ep", result.Epochs), ("$rung", result.Rung), ("$id", trialId), ("$w", worker));
            if (changed == 1)
            {
                foreach (var id in Definition.StatesToDrop(trialId, result.Status, () => ReadTrials(tx)))
                {
                    Execute("DELETE FROM trial_state WHERE trial_id = $id", tx, ("$id", id));
                }
            }
            tx.Commit();
            return changed == 1;
        }
    }

    private List<TrialRecord> ReadTrials(SqliteTransaction? tx, long? only = null)
    {
        using var cmd = Command(
            "SELECT id, status, hyperparameters, unit, score, best_epoch, message, worker, heartbeat_ms, started_ms, finished_ms, seconds, attempts, " +
            "COALESCE(epochs, (SELECT COUNT(*) FROM epochs e WHERE e.trial_id = trials.id AND e.attempt = trials.attempts)), rung, plan FROM trials" +
            (only is null ? "" : " WHERE id = $id") + " ORDER BY id", tx, ("$id", only));
        using var r = cmd.ExecuteReader();
        var list = new List<TrialRecord>();
        while (r.Read())
        {
            static DateTimeOffset? Time(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));
            list.Add(new TrialRecord(
                r.GetInt32(0),
                Choice.Parse<TrialStatus>("status", r.GetString(1)),
                Json.Deserialize<Dictionary<string, double>>(r.GetString(2), Path),
                Json.Deserialize<double[]>(r.GetString(3), Path),
                r.IsDBNull(4) ? null : r.GetDouble(4),
                r.IsDBNull(5) ? null : r.GetInt32(5),
                r.IsDBNull(6) ? null : r.GetString(6),
                r.IsDBNull(7) ? null : r.GetString(7),
                Time(r, 8), Time(r, 9), Time(r, 10),
                r.IsDBNull(11) ? null : r.GetDouble(11),
                r.GetInt32(12),
                r.IsDBNull(13) ? null : r.GetDouble(13),
                r.IsDBNull(14) ? null : r.GetInt32(14),
                r.IsDBNull(15) ? null : Json.Deserialize<TrialPlan>(r.GetString(15), Path)));
        }
        r.Close();
        var rungs = ReadRungs(tx, only);
        return list.Select(t => rungs.TryGetValue(t.Id, out var values) ? t with { Rungs = values } : t).ToList();
    }

    private Dictionary<int, List<RungValue>> ReadRungs(SqliteTransaction? tx, long? only)
    {
        using var cmd = Command(
            "SELECT i.trial_id, i.rung, i.epochs, i.value FROM intermediate i JOIN trials t ON t.id = i.trial_id AND t.attempts = i.attempt" +
            (only is null ? "" : " WHERE i.trial_id = $id") + " ORDER BY i.trial_id, i.rung", tx, ("$id", only));
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<int, List<RungValue>>();
        while (r.Read())
        {
            var id = r.GetInt32(0);
            if (!map.TryGetValue(id, out var list)) map[id] = list = [];
            list.Add(new RungValue(r.GetInt32(1), r.GetDouble(2), r.GetDouble(3)));
        }
        return map;
    }

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private SqliteCommand Command(string sql, SqliteTransaction? tx, params (string Name, object? Value)[] args)
    {
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value switch
            {
                null => DBNull.Value,
                double d when !double.IsFinite(d) => DBNull.Value, // NaN and infinities are stored as NULL
                _ => value,
            });
        }
        return cmd;
    }

    private int Execute(string sql, SqliteTransaction? tx = null, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(sql, tx, args);
        return cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql, SqliteTransaction? tx, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(sql, tx, args);
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }
}
