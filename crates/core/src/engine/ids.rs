//! Typed indices: a pod, a service, a user and a request slot are not
//! interchangeable numbers. "None" is `Option`, not a sentinel.

use std::ops::{Index, IndexMut};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(super) struct $name(pub(super) $inner);

        impl $name {
            pub(super) fn index(self) -> usize {
                self.0 as usize
            }
            pub(super) fn from_index(i: usize) -> $name {
                debug_assert!(i <= <$inner>::MAX as usize, "{} {i} does not fit", stringify!($name));
                $name(i as $inner)
            }
        }
    };
}

id!(
    /// A pod ever created in the run (pods are never reused).
    PodId(u32)
);
id!(
    /// A service, in the scenario's (sorted) order.
    SvcId(u16)
);
id!(
    /// A Locust user; a stopped user's slot is reused by the next one.
    UserId(u32)
);
id!(
    /// A server-side request slot; reused once the request is done.
    Slot(u32)
);
id!(
    /// A route of a service.
    RouteId(u16)
);

/// A vector indexed by one kind of id only.
pub(super) struct Table<I, T> {
    items: Vec<T>,
    _id: std::marker::PhantomData<I>,
}

impl<I, T> Default for Table<I, T> {
    fn default() -> Self {
        Table {
            items: Vec::new(),
            _id: std::marker::PhantomData,
        }
    }
}

/// An id that indexes a table.
pub(super) trait Id: Copy {
    fn to_index(self) -> usize;
    fn of_index(i: usize) -> Self;
}

macro_rules! impl_id {
    ($($id:ident),*) => {
        $(impl Id for $id {
            fn to_index(self) -> usize {
                self.index()
            }
            fn of_index(i: usize) -> Self {
                $id::from_index(i)
            }
        })*
    };
}

impl_id!(PodId, SvcId, UserId, Slot, RouteId);

impl<I: Id, T> Table<I, T> {
    pub(super) fn push(&mut self, item: T) -> I {
        self.items.push(item);
        I::of_index(self.items.len() - 1)
    }
    pub(super) fn len(&self) -> usize {
        self.items.len()
    }
    pub(super) fn ids(&self) -> impl Iterator<Item = I> {
        (0..self.items.len()).map(I::of_index)
    }
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }
    pub(super) fn into_vec(self) -> Vec<T> {
        self.items
    }
}

impl<I: Id, T> Index<I> for Table<I, T> {
    type Output = T;
    fn index(&self, id: I) -> &T {
        &self.items[id.to_index()]
    }
}

impl<I: Id, T> IndexMut<I> for Table<I, T> {
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.items[id.to_index()]
    }
}

impl<I, T> From<Vec<T>> for Table<I, T> {
    fn from(items: Vec<T>) -> Self {
        Table {
            items,
            _id: std::marker::PhantomData,
        }
    }
}
