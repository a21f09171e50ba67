// Copyright (c) the Gatehouse authors
