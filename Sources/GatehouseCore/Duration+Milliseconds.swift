// Copyright (c) the Gatehouse authors

extension Duration {
    /// Whole milliseconds (truncated), for Unix-millisecond arithmetic with ``WallClock`` and for log metadata.
    public var wholeMilliseconds: Int64 { components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000 }
}
