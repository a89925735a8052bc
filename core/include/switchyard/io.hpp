// The I/O layer in one include: tasks, the context, operations, combinators
// and offload.
#pragma once

#include <switchyard/io/context.hpp>
#include <switchyard/io/errors.hpp>
#include <switchyard/io/event.hpp>
#include <switchyard/io/limiter.hpp>
#include <switchyard/io/operations.hpp>
#include <switchyard/io/offload.hpp>
#include <switchyard/io/resolve.hpp>
#include <switchyard/io/runtime.hpp>
#include <switchyard/io/when_all.hpp>
#include <switchyard/task.hpp>
